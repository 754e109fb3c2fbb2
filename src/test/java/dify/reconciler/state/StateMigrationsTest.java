package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * When Flyway's history says that {@code migrate} has nothing to do and nothing to complain about, so it is skipped;
 * every other history is Flyway's to handle. (That the checksums are Flyway's own: {@code StateStoreTest}.)
 */
class StateMigrationsTest {

    private static List<StateMigrations.Applied> ours() {
        List<StateMigrations.Applied> rows = new ArrayList<>();
        rows.add(new StateMigrations.Applied(null, "SCHEMA", "\"plugin_reconciler\"", null, true));
        for (String file : StateMigrations.FILES) {
            rows.add(new StateMigrations.Applied(StateMigrations.version(file), "SQL", file, StateMigrations.checksum(file), true));
        }
        return rows;
    }

    @Test
    void everyMigrationAppliedWithItsChecksumIsUpToDateWithOrWithoutTheSchemaNote() {
        assertTrue(StateMigrations.allApplied(ours()));
        assertTrue(StateMigrations.allApplied(ours().subList(1, StateMigrations.FILES.size() + 1)), "a schema Flyway did not create");
        assertEquals("14", StateMigrations.version("V14__ledger_staging_dictionary.sql"));
    }

    @Test
    void anyOtherHistoryIsLeftToFlyway() {
        assertFalse(StateMigrations.allApplied(List.of()), "no history: a new schema");
        List<StateMigrations.Applied> missing = ours();
        missing.remove(missing.size() - 1);
        assertFalse(StateMigrations.allApplied(missing), "the last migration pending");

        List<StateMigrations.Applied> failed = ours();
        StateMigrations.Applied last = failed.remove(failed.size() - 1);
        failed.add(new StateMigrations.Applied(last.version(), "SQL", last.script(), last.checksum(), false));
        assertFalse(StateMigrations.allApplied(failed), "a failed migration");

        List<StateMigrations.Applied> changed = ours();
        changed.set(1, new StateMigrations.Applied("1", "SQL", StateMigrations.FILES.get(0),
                StateMigrations.checksum(StateMigrations.FILES.get(0)) + 1, true));
        assertFalse(StateMigrations.allApplied(changed), "a released migration edited since");

        List<StateMigrations.Applied> newer = ours();
        newer.add(new StateMigrations.Applied("99", "SQL", "V99__from_a_newer_release.sql", 1, true));
        assertFalse(StateMigrations.allApplied(newer), "a newer release's migration");

        List<StateMigrations.Applied> baseline = ours();
        baseline.add(new StateMigrations.Applied("0", "BASELINE", "<< Flyway Baseline >>", null, true));
        assertFalse(StateMigrations.allApplied(baseline), "a baseline");
    }
}
