package dify.reconciler.state;

import java.util.List;

/**
 * What the current role may do with our schema, read in one query before Flyway is loaded, and the answer it gives
 * on its own when state cannot be persisted whatever Flyway does: then Flyway is not run at all. A Flyway attempt
 * that cannot succeed cost a one-shot command about 0.8 s on an idle machine (its classes, a connection, its
 * validation) before it failed on the same rights; report mode's SELECT-only role is that case every time.
 *
 * @param schemaExists
 *            our schema is there (created by this role or another)
 * @param mayCreateSchema
 *            CREATE on the database, which creating our schema needs
 * @param schemaUsage
 *            USAGE on our schema, without which nothing in it can be read or written
 * @param unwritableTables
 *            those of {@link StateStore#WRITTEN_TABLES} that exist and that this role may neither insert, update nor
 *            delete in (the same test as the check after migrating, {@code StateStore.mayWrite})
 */
record StateRights(boolean schemaExists, boolean mayCreateSchema, boolean schemaUsage, List<String> unwritableTables) {

    StateRights {
        unwritableTables = List.copyOf(unwritableTables);
    }

    /**
     * Why state must stay in memory whatever Flyway would do, in the words the attempt used to end with; null when
     * Flyway may succeed and is to be run (the check after migrating still decides then).
     */
    String refusal(String schema) {
        if (!schemaExists && !mayCreateSchema) {
            return "permission denied to create schema " + schema
                    + " (this user has no CREATE on the database; report mode's SELECT-only role never has)";
        }
        if (schemaExists && !schemaUsage) {
            // PostgreSQL's own message, which Flyway's first statement in the schema failed with before this check.
            return "ERROR: permission denied for schema " + schema;
        }
        if (!unwritableTables.isEmpty()) {
            // A migration run by this role cannot grant it rights on another role's tables: the check after migrating
            // would refuse the same tables.
            return noRightToWrite(schema);
        }
        return null;
    }

    static String noRightToWrite(String schema) {
        return "no right to write the tables of schema " + schema
                + " (another role created them; grant INSERT, UPDATE, DELETE on them to this user)";
    }
}
