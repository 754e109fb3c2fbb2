package dify.reconciler.state;

import javax.sql.DataSource;
import org.flywaydb.core.api.configuration.FluentConfiguration;

/**
 * Our schema, migrated by the product's own migrations as {@link StateStore#ensure()} migrates it, for tests that wire
 * the remediation's parts by hand (without the application) on a database of their own.
 */
public final class MigratedStateSchema {

    private MigratedStateSchema() {
    }

    /** Creates and migrates {@code schema}; returns its name. */
    public static String migrate(DataSource dataSource, String schema) {
        new FluentConfiguration(StateStore.class.getClassLoader()).dataSource(dataSource).schemas(schema).defaultSchema(schema)
                .createSchemas(true).table("flyway_schema_history").resourceProvider(new StateMigrations())
                .locations(StateMigrations.FOLDER).load().migrate();
        return schema;
    }
}
