package dify.reconciler.testsupport;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.remediate.RemediationService;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.ScanRunner;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * What the in-process remediation tests do over and over against the {@code DriftedDaemon} the service reads (same
 * JVM): its database and folder, a scan that must succeed, the armed copy of the policy, a text or id read back,
 * the quarantined rows of a plan.
 */
public final class DriftedFixture {

    private DriftedFixture() {
    }

    /** The daemon's database (its owner's connections, as the daemon has). */
    public static TestDatabase db() {
        return DriftedDaemonAccess.database();
    }

    /** Rows planted and read as the daemon would. */
    public static DaemonRows daemon() {
        return DaemonRows.on(db());
    }

    /** The daemon's storage folder ({@code PLUGIN_STORAGE_LOCAL_ROOT}). */
    public static Path root() {
        return DriftedDaemonAccess.storageRoot();
    }

    /** Every object of the folder, key to content digest. */
    public static Map<String, String> objects() {
        return BucketContents.of(root());
    }

    /** A scan by the service's runner, which must succeed (a failed one fails the test with its error). */
    public static ScanReport scan(ScanRunner runner) {
        ScanReport r = runner.scanIfIdle().orElseThrow();
        assertTrue(r.succeeded(), r.error());
        return r;
    }

    /** The service's policy, armed: what the tests apply with while the configured policy is a dry run. */
    public static RemediationPolicy armed(RemediationService remediation) {
        return remediation.policy().asArmed();
    }

    /** Guards off (one confirmation, no age, no caps but 50 actions), only {@code kind} allowed. */
    public static RemediationPolicy onlyKind(boolean armed, FindingKind kind) {
        return new RemediationPolicy(armed, Set.of(kind), 1, Duration.ZERO, Duration.ZERO, 50, 1.0, Duration.ofHours(1));
    }

    /** Rows in our quarantine from {@code plan}'s actions. */
    public static long quarantinedRows(RemediationPlan plan) {
        return daemon().queryLong("SELECT count(*) FROM plugin_reconciler.quarantine_rows WHERE action_id LIKE ?", plan.planId() + "/%");
    }

    /** The first column of the first row of {@code sql}, as text; the query must return a row. */
    public static String queryText(String sql, String... params) {
        try (Connection c = db().connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setString(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), sql);
                return rs.getString(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The {@code plugins} row id of {@code pluginId} (the dataset has one row per plugin id). */
    public static String pluginRowId(String pluginId) {
        return queryText("SELECT id::text FROM plugins WHERE plugin_id = ?", pluginId);
    }

    /** The {@code plugin_unique_identifier} of {@code pluginId}'s plugins row. */
    public static String uidOf(String pluginId) {
        return queryText("SELECT plugin_unique_identifier FROM plugins WHERE plugin_id = ?", pluginId);
    }
}
