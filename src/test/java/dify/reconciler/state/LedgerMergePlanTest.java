package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * How PostgreSQL plans the staged rows the merge reads (issue 20): the staging dictionaries are joined back one per
 * coded column, and each join must keep the row count. When the planner could not tell that a dictionary's codes are
 * unique, each join multiplied its estimate by about 20, and at 1,000,000 findings it sorted the million staged rows
 * to disk for a merge join once per coded column (most of the close and seen-again statements' time).
 */
class LedgerMergePlanTest {

    private static final Instant AT = Instant.parse("2026-10-01T00:00:00Z");

    @Test
    void theStagedRowsAreEstimatedAsManyAsWereStaged() throws Exception {
        int n = 5_000; // more distinct tenants than the dictionary holds: coded and text values both
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            StateStore store = TestStateStores.on(db.dataSource());
            assertEquals(StateStore.Mode.PERSISTED, store.ensure(), store.reason());
            PostgresLedgerUpdate update = new PostgresLedgerUpdate(store, UUID.randomUUID(), Duration.ofDays(30));
            for (int i = 0; i < n; i++) {
                update.accept(LedgerMergeBench.finding(i, AT));
            }
            update.flush();
            try (Connection c = db.connect()) {
                c.createStatement().execute("ANALYZE plugin_reconciler.scan_findings"); // as the merge does
                List<Object> parameters = update.stagedParameters();
                try (PreparedStatement ps = c.prepareStatement("EXPLAIN (FORMAT JSON) SELECT * FROM " + update.resolvedStaged() + " s")) {
                    for (int i = 0; i < parameters.size(); i++) {
                        ps.setObject(i + 1, parameters.get(i));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        JsonNode plan = new ObjectMapper().readTree(rs.getString(1)).get(0).get("Plan");
                        double rows = plan.get("Plan Rows").asDouble();
                        assertTrue(rows >= n / 2.0 && rows <= n * 2.0, "estimated " + rows + " staged rows for " + n + ": " + plan);
                    }
                }
            }
            update.abandon();
        }
    }

    /**
     * A server built with LLVM (a distribution's package; the tests' binaries have none) would compile every merge
     * statement costed above {@code jit_above_cost}, as a second scan's three joins are at a million findings, and gain
     * nothing from it (docs/benchmark.md): each statement the merge runs on the entries sees {@code jit} off, whichever
     * path it takes (a first scan's insert, a later scan's close, seen again and opened).
     */
    @Test
    void everyMergeStatementRunsWithoutJit() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            StateStore store = TestStateStores.on(db.dataSource());
            assertEquals(StateStore.Mode.PERSISTED, store.ensure(), store.reason());
            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE public.jit_seen (operation text, jit text)");
                st.execute("CREATE FUNCTION public.record_jit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                        + " INSERT INTO public.jit_seen VALUES (TG_OP, current_setting('jit')); RETURN NULL; END $$");
                // Statement triggers fire even when a statement changes no row (a second scan that sees all again).
                st.execute("CREATE TRIGGER record_jit AFTER INSERT OR UPDATE OR DELETE ON plugin_reconciler.finding_entries"
                        + " FOR EACH STATEMENT EXECUTE FUNCTION public.record_jit()");
            }
            for (int scan = 1; scan <= 2; scan++) {
                PostgresLedgerUpdate update = new PostgresLedgerUpdate(store, UUID.randomUUID(), Duration.ofDays(30));
                for (int i = 0; i < 10; i++) {
                    update.accept(LedgerMergeBench.finding(i, AT));
                }
                update.complete(AT.plusSeconds(scan), List.of(), Map.of());
                assertNull(update.problem());
            }
            List<String> seen = new ArrayList<>();
            try (Connection c = db.connect();
                    ResultSet rs = c.createStatement().executeQuery("SELECT operation, jit FROM public.jit_seen")) {
                while (rs.next()) {
                    seen.add(rs.getString(1) + " jit=" + rs.getString(2));
                }
            }
            // Scan 1: the insert and the expiry; scan 2: the close, seen again, opened and the expiry.
            assertEquals(List.of("INSERT jit=off", "DELETE jit=off", "UPDATE jit=off", "UPDATE jit=off", "INSERT jit=off",
                    "DELETE jit=off"), seen);
        }
    }
}
