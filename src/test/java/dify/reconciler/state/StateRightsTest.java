package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** When state stays in memory without a Flyway attempt, and in which words; every other case is left to Flyway. */
class StateRightsTest {

    private static final String SCHEMA = "plugin_reconciler";

    @Test
    void aRoleThatMayCreateTheSchemaOrWriteAnExistingOneIsLeftToFlyway() {
        assertNull(new StateRights(false, true, false, List.of()).refusal(SCHEMA), "no schema, CREATE on the database");
        assertNull(new StateRights(true, false, true, List.of()).refusal(SCHEMA), "our schema, every table writable");
        assertNull(new StateRights(true, true, true, List.of()).refusal(SCHEMA), "the owner");
    }

    @Test
    void aRoleThatMayNotCreateTheMissingSchemaIsRefusedAsBefore() {
        assertEquals("permission denied to create schema plugin_reconciler (this user has no CREATE on the database;"
                + " report mode's SELECT-only role never has)", new StateRights(false, false, false, List.of()).refusal(SCHEMA));
    }

    @Test
    void aRoleWithoutUsageOnTheSchemaGetsPostgresWordsAsFlywaysAttemptDid() {
        assertEquals("ERROR: permission denied for schema plugin_reconciler",
                new StateRights(true, false, false, List.of()).refusal(SCHEMA));
        assertEquals("ERROR: permission denied for schema plugin_reconciler",
                new StateRights(true, true, false, List.of("runs")).refusal(SCHEMA), "usage is asked before the tables");
    }

    @Test
    void aRoleThatMayNotWriteAnExistingTableIsRefusedAsTheCheckAfterMigratingDid() {
        assertEquals("no right to write the tables of schema plugin_reconciler (another role created them; grant INSERT,"
                + " UPDATE, DELETE on them to this user)", new StateRights(true, true, true, List.of("runs")).refusal(SCHEMA));
    }
}
