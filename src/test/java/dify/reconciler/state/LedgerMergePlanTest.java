package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.config.ProcessMode;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
            StateStore store = new StateStore();
            store.dataSource = db.dataSource();
            store.config = StateStoreTest.config("plugin_reconciler");
            store.role = ProcessMode.SERVICE;
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
}
