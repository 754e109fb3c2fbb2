package dify.reconciler.remediate.guard;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.inventory.postgres.DaemonSchemaException;
import dify.reconciler.remediate.plan.GuardTrip;
import dify.reconciler.report.ScanReport;
import dify.reconciler.state.RunStore;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads what {@link InputGuards} decides on, after a successful scan: the scan's listings with their recent
 * maximum ({@link RunStore#maxObjectsListed}, which has this process's runs when state is in memory), the rows
 * that say objects exist (declarations for packages, local plugins for installed copies), and the daemon's
 * schema from the catalog (bound parameters only). Read-only.
 */
@ApplicationScoped
public class GuardInputs {

    @Inject
    ReconcilerConfig config;

    @Inject
    DaemonSettings daemon;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    RunStore runs;

    @Inject
    Clock clock;

    /** The input guards a successful scan trips; empty when its inputs can be trusted. */
    public List<GuardTrip> check(ScanReport report) throws SQLException {
        Map<String, Set<String>> columns;
        long localPlugins;
        try (Connection c = dataSource.getConnection()) {
            columns = DaemonSchema.columnsOf(c, config.databaseSchema().orElse(null), daemon.databaseDescription());
            localPlugins = localPlugins(c, report);
        }
        Map<String, Long> rows = report.scope().rowsScanned();
        Map<String, Long> listed = report.scope().objectsListed();
        StorageLayout layout = daemon.layout();
        Duration window = config.remediation().listingWindow();
        String packages = StorageLayout.label(layout.packages());
        String installed = StorageLayout.label(layout.installed());
        List<InputGuards.Listing> listings = List.of(
                new InputGuards.Listing(packages, listed.get(packages), runs.maxObjectsListed(packages, clock.instant(), window),
                        rows.getOrDefault(DaemonSchema.DECLARATIONS, 0L), DaemonSchema.DECLARATIONS + " rows"),
                new InputGuards.Listing(installed, listed.get(installed), runs.maxObjectsListed(installed, clock.instant(), window),
                        localPlugins, DaemonSchema.PLUGINS + " rows with install_type local"));
        return InputGuards.check(listings, new InputGuards.Schema(columns, DaemonSchema.requiredColumns(),
                DaemonSchema.optionalColumns(), DaemonSchema.KNOWN_UNREAD_TABLES, DaemonSchema.IDENTIFIER_COLUMN));
    }

    /** Plugins whose installed copy lives under {@code plugin/}; all plugins rows when the schema cannot say. */
    private long localPlugins(Connection c, ScanReport report) throws SQLException {
        DaemonSchema schema;
        try {
            schema = DaemonSchema.inspect(c, config.databaseSchema().orElse(null), daemon.databaseDescription());
        } catch (DaemonSchemaException e) {
            // The schema guard trips on what is missing; count every plugin, the stricter expectation.
            return report.scope().rowsScanned().getOrDefault(DaemonSchema.PLUGINS, 0L);
        }
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM " + schema.qualified(DaemonSchema.PLUGINS) + " WHERE install_type = ?")) {
            ps.setString(1, "local");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
