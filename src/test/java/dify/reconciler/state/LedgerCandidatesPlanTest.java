package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.remediate.LedgerCandidates;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * How PostgreSQL plans a plan's read of the ledger (issue 20: a plan's cost independent of the ledger's size). The
 * read must walk the open entries' {@code (kind, first_seen, id)} index and stop at its limit. Written on
 * finding_ledger's derived last_run and consecutive_scans, the planner took "seen by this run and confirmed" for
 * 0.2 % of the entries, expected fewer than the limit, and read every open entry and sorted them (at a million,
 * 1.4 s instead of 8 ms).
 */
class LedgerCandidatesPlanTest {

    @Test
    void aPlanReadsTheOldestEntriesInIndexOrderNotTheWholeLedger() throws Exception {
        int n = 20_000;
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            StateStore store = TestStateStores.on(db.dataSource());
            assertEquals(StateStore.Mode.PERSISTED, store.ensure(), store.reason());
            String run = UUID.randomUUID().toString();
            try (Connection c = db.connect()) {
                // Two merged scans saw every entry (V12's counted entries: no last_run of their own), this run the last.
                c.createStatement().execute("INSERT INTO plugin_reconciler.finding_entries (kind, subject, severity, first_seen,"
                        + " first_scan, evidence, plugin_unique_identifier, plugin_id, tenant_id) SELECT 'category_row_orphaned', 'row:tool_installations/' || i,"
                        + " 'warning', timestamptz '2026-10-01' + i * interval '1 s', 1, '{}', 'acme/gone:0.0.1@' || repeat('a', 64), 'acme/gone', 'p' || i FROM generate_series(1, "
                        + n + ") i");
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE plugin_reconciler.ledger_scans SET scans = 2, last_run = CAST(? AS uuid), last_seen = now()")) {
                    ps.setString(1, run);
                    ps.executeUpdate();
                }
                c.createStatement().execute("ANALYZE plugin_reconciler.finding_entries"); // as the first scan's merge does
            }
            RecordingDataSource recording = new RecordingDataSource(db.dataSource());
            LedgerCandidates ledger = new LedgerCandidates(recording, "plugin_reconciler.finding_entries",
                    "plugin_reconciler.ledger_scans");
            List<String> read = ledger.read(run, List.of(FindingKind.CATEGORY_ROW_ORPHANED), 2, 1_050, candidates -> {
                List<String> subjects = new ArrayList<>();
                for (int i = 0; i < 3 && candidates.hasNext(); i++) {
                    Finding f = candidates.next().finding();
                    subjects.add(f.tenantId());
                }
                return subjects;
            });
            assertEquals(List.of("p1", "p2", "p3"), read, "the oldest entries, confirmed by two scans");

            String plan = recording.explainLast(db);
            assertTrue(plan.contains("Index Scan using finding_ledger_open_by_age"), plan);
            assertFalse(plan.contains("Seq Scan"), plan);
            assertFalse(plan.contains("Sort"), plan);
        }
    }

    /** Hands out connections that remember the last statement prepared on them and its parameters. */
    private static final class RecordingDataSource implements DataSource {
        private final DataSource delegate;
        private String sql;
        private final Map<Integer, Object> parameters = new TreeMap<>();

        RecordingDataSource(DataSource delegate) {
            this.delegate = delegate;
        }

        /** EXPLAINs the last statement that read entries, with its parameters, as text. */
        String explainLast(TestDatabase db) throws SQLException {
            assertTrue(sql != null, "no statement read the ledger");
            try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("EXPLAIN " + sql)) {
                for (var p : parameters.entrySet()) {
                    ps.setObject(p.getKey(), p.getValue());
                }
                StringBuilder plan = new StringBuilder();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        plan.append(rs.getString(1)).append('\n');
                    }
                }
                return plan.toString();
            }
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection c = delegate.getConnection();
            return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                    (proxy, method, args) -> {
                        Object result = invoke(c, method, args);
                        if (method.getName().equals("prepareStatement") && args[0] instanceof String s && s.contains("first_seen")) {
                            sql = s;
                            parameters.clear();
                            PreparedStatement ps = (PreparedStatement) result;
                            return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {PreparedStatement.class},
                                    (p, m, a) -> {
                                        if (m.getName().startsWith("set") && a != null && a.length == 2 && a[0] instanceof Integer i) {
                                            parameters.put(i, a[1]);
                                        }
                                        return invoke(ps, m, a);
                                    });
                        }
                        return result;
                    });
        }

        private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            throw new UnsupportedOperationException();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }
}
