package dify.reconciler.inventory.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.inventory.TableRow;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class DaemonDatabaseReaderTest {

    @Test
    void streamsEveryOrphanOnceWhenThereAreMoreThanTheParallelResultLimit() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.applyTo(EmbeddedPostgres.shared().createDatabase())) {
            int orphans = DaemonDatabaseReader.PARALLEL_RESULT_LIMIT + 7;
            DaemonRows.on(db).copyCategoryRows("tool_installations", orphans,
                    n -> new DaemonRows.CategoryRow(new UUID(1, n), "p" + n, "acme/p:0.0.1@" + "a".repeat(64), "acme/p"));
            Set<String> ids = new HashSet<>();
            int[] delivered = {0};
            try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(db.dataSource(), "public", 1000, "test")) {
                reader.orphanedCategoryRows(List.of("tool_installations", "ai_model_installations"), (TableRow row) -> {
                    delivered[0]++;
                    ids.add(row.id());
                });
            }
            assertEquals(orphans, delivered[0]);
            assertEquals(orphans, ids.size());
        }
    }

    @Test
    void refusesADatabaseWithoutTheDaemonsTables() {
        try (TestDatabase db = EmbeddedPostgres.shared().createDatabase()) {
            DaemonSchemaException e = assertThrows(DaemonSchemaException.class,
                    () -> DaemonDatabaseReader.open(db.dataSource(), "public", 1000, "the test database"));
            assertTrue(e.getMessage().contains("does not exist in the test database"), e.getMessage());
        }
    }

    @Test
    void refusesATableThatLacksAColumnItReads() {
        try (TestDatabase db = SchemaFixture.CURRENT.applyTo(EmbeddedPostgres.shared().createDatabase())) {
            DaemonRows.on(db).execute("ALTER TABLE plugins DROP COLUMN refers");
            DaemonSchemaException e = assertThrows(DaemonSchemaException.class,
                    () -> DaemonDatabaseReader.open(db.dataSource(), "public", 1000, "test"));
            assertTrue(e.getMessage().contains("has no column refers"), e.getMessage());
        }
    }

    @Test
    void failsInsteadOfHangingWhenAMigrationLocksATable() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.applyTo(EmbeddedPostgres.shared().createDatabase());
                java.sql.Connection migration = db.connect()) {
            migration.setAutoCommit(false);
            migration.createStatement().execute("LOCK TABLE plugins IN ACCESS EXCLUSIVE MODE");
            try {
                java.sql.SQLException e = assertThrows(java.sql.SQLException.class, () -> {
                    try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(db.dataSource(), "public", 100,
                            java.time.Duration.ofMillis(200), "test")) {
                        reader.plugins();
                    }
                });
                assertTrue(e.getMessage().contains("lock timeout"), e.getMessage());
            } finally {
                migration.rollback();
            }
        }
    }
}
