package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.config.ProcessMode;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The write check of {@link StateStore} covers every table of our schema: a role that may write all of them but one
 * stays in memory (else it would be "persisted" and fail at the first write of that table). The tables are the
 * migrated schema's own, so a new migration's table that the check forgets fails here.
 */
class StateWriteAccessTest {

    private static final String SCHEMA = "plugin_reconciler";

    @Test
    void theWriteCheckNamesEveryTableOfOurSchemaAndARoleMissingOneRightStaysInMemory() throws SQLException {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            assertEquals(StateStore.Mode.PERSISTED, store(db.dataSource()).ensure());
            List<String> tables = ourTables(db.dataSource());
            assertTrue(tables.contains("finding_entries") && !tables.contains("finding_ledger"), tables.toString()); // a view now
            assertEquals(tables, StateStore.WRITTEN_TABLES.stream().sorted().toList(),
                    "the tables StateStore checks the right to write, against the migrated schema's tables");

            grantAllBut(db.dataSource(), "remediation_suspension");
            StateStore reader = store(db.readerDataSource());
            assertEquals(StateStore.Mode.MEMORY, reader.ensure());
            assertTrue(reader.reason().contains("no right to write the tables"), reader.reason());
            grantAllBut(db.dataSource(), null); // and the check passes with every right
            assertEquals(StateStore.Mode.PERSISTED, store(db.readerDataSource()).ensure());
        }
    }

    /**
     * Each of the three rights is needed: {@code has_table_privilege} with a list of privileges is true when the role
     * holds any one of them, so a role that may insert and update but not delete passed the check before.
     */
    @Test
    void aRoleMissingOnlyDeleteOnOneTableStaysInMemory() throws SQLException {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            assertEquals(StateStore.Mode.PERSISTED, store(db.dataSource()).ensure());
            grantAllBut(db.dataSource(), null);
            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("REVOKE DELETE ON " + SCHEMA + ".scan_findings FROM " + EmbeddedPostgres.READER_USER);
            }
            StateStore reader = store(db.readerDataSource());
            assertEquals(StateStore.Mode.MEMORY, reader.ensure(), "INSERT and UPDATE without DELETE on scan_findings");
            assertTrue(reader.reason().contains("no right to write the tables"), reader.reason());
        }
    }

    /** The base tables of our schema the process writes: all but Flyway's history (views are not tables). */
    private static List<String> ourTables(DataSource owner) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = owner.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = '" + SCHEMA
                        + "' AND tablename <> 'flyway_schema_history' ORDER BY tablename")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static void grantAllBut(DataSource owner, String withheld) throws SQLException {
        try (Connection c = owner.getConnection(); Statement s = c.createStatement()) {
            s.execute("GRANT USAGE ON SCHEMA " + SCHEMA + " TO " + EmbeddedPostgres.READER_USER);
            s.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + SCHEMA + " TO " + EmbeddedPostgres.READER_USER);
            if (withheld != null) {
                s.execute("REVOKE INSERT, UPDATE, DELETE ON " + SCHEMA + "." + withheld + " FROM " + EmbeddedPostgres.READER_USER);
            }
        }
    }

    private static StateStore store(DataSource dataSource) {
        StateStore store = new StateStore();
        store.dataSource = dataSource;
        store.config = StateStoreTest.config(SCHEMA);
        store.role = ProcessMode.SERVICE;
        return store;
    }
}
