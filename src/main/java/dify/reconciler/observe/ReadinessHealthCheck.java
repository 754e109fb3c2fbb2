package dify.reconciler.observe;

import dify.reconciler.approval.Suspension;
import dify.reconciler.approval.SuspensionStatus;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.leader.LeaderElection;
import dify.reconciler.leader.LeaderStatus;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.RunHistory;
import dify.reconciler.run.ScanRunner;
import dify.reconciler.state.StateStore;
import io.agroal.api.AgroalDataSource;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * {@code /q/health/ready}: whether the database and the bucket answer now ({@code SELECT 1}; listing one key
 * of the bucket or the root folder), each with a deadline, how and when the last scan ended, and whether this
 * replica leads ({@code leader}, {@code leaderLockKey}, {@code leaderElection}, {@code leaderHolder}: data only,
 * never the status, since every replica scans and reports whoever leads).
 *
 * <p><b>An unreachable dependency does not make the service not-ready</b> unless
 * {@code reconciler.health.readiness-requires-dependencies=true} and {@code reconciler.sidecar} is off: see
 * {@link HealthConfig} for why. The check is then UP with {@code database: "unreachable: …"} in its data.
 * Either way the pod keeps serving {@code /q/metrics} (Prometheus scrapes not-ready endpoints too) and the
 * API, which is when operators need them most.
 */
@Readiness
@ApplicationScoped
public class ReadinessHealthCheck implements HealthCheck {

    private final ExecutorService probes = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "reconciler-health-probe");
        t.setDaemon(true);
        return t;
    });

    @Inject
    AgroalDataSource dataSource;

    @Inject
    ObjectStorage storage;

    @Inject
    DaemonSettings daemon;

    @Inject
    RunHistory history;

    @Inject
    ScanRunner runner;

    @Inject
    HealthConfig config;

    @Inject
    ReconcilerConfig reconciler;

    @Inject
    StateStore state;

    @Inject
    LeaderElection leadership;

    @Inject
    Suspension suspension;

    private volatile DependencyProbe database;
    private volatile DependencyProbe bucket;

    @Override
    public HealthCheckResponse call() {
        DependencyProbe.Outcome db = databaseProbe().probe(config.checkTimeout());
        DependencyProbe.Outcome st = storageProbe().probe(config.checkTimeout());
        boolean dependenciesOk = db.reachable() && st.reachable();
        // In the daemon's pod a DOWN here would take the daemon out of its Service: the sidecar setting wins.
        boolean requiresDependencies = config.readinessRequiresDependencies() && !reconciler.sidecar();
        HealthCheckResponseBuilder response = HealthCheckResponse.named("dify-plugin-reconciler dependencies")
                .status(dependenciesOk || !requiresDependencies)
                .withData("database", db.reachable() ? "reachable" : "unreachable: " + db.detail())
                .withData("databaseTarget", daemon.databaseDescription())
                .withData("storage", st.reachable() ? "reachable" : "unreachable: " + st.detail())
                .withData("storageTarget", storage.describe())
                .withData("readinessRequiresDependencies", requiresDependencies)
                .withData("sidecar", reconciler.sidecar())
                .withData("scanning", runner.isScanning());
        StateStore.Mode stateMode = state.current();
        response.withData("state", stateMode == null ? "not decided yet" : stateMode.name().toLowerCase(Locale.ROOT));
        if (stateMode == StateStore.Mode.MEMORY) {
            response.withData("stateReason", String.valueOf(state.reason()));
        }
        // Data only: who leads decides who may act, not whether this replica is healthy.
        LeaderStatus leader = leadership.status();
        response.withData("leader", leader.leader())
                .withData("leaderLockKey", leader.key())
                .withData("leaderElection", leader.state());
        if (leader.holder() != null) {
            response.withData("leaderHolder", leader.holder());
        }
        // As last read (every tick and request): readiness asks the database nothing more for it.
        SuspensionStatus suspended = suspension.lastRead();
        response.withData("remediationSuspended", suspended == null ? "not read yet" : String.valueOf(suspended.suspended()));
        if (suspended != null && suspended.suspended()) {
            response.withData("remediationSuspendedReason", suspended.reason());
        }
        Optional<ScanReport> last = history.latest();
        if (last.isEmpty()) {
            response.withData("lastScan", "none yet");
        } else {
            ScanReport r = last.get();
            response.withData("lastScan", r.succeeded() ? "success" : "failure");
            response.withData("lastScanEndedAt", r.finishedAt().toString());
            if (!r.succeeded()) {
                response.withData("lastScanFailedPhase", String.valueOf(r.failedPhase()));
                response.withData("lastScanError", String.valueOf(r.error()));
            }
        }
        history.latestSuccess().ifPresent(r -> response.withData("lastSuccessAt", r.finishedAt().toString()));
        return response.build();
    }

    private DependencyProbe databaseProbe() {
        if (database == null) {
            database = new DependencyProbe(() -> {
                try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                    s.setQueryTimeout((int) Math.max(1, config.checkTimeout().toSeconds()));
                    s.execute("SELECT 1");
                }
            }, probes);
        }
        return database;
    }

    private DependencyProbe storageProbe() {
        if (bucket == null) {
            bucket = new DependencyProbe(storage::checkReachable, probes);
        }
        return bucket;
    }

    @PreDestroy
    void stop() {
        probes.shutdownNow();
    }
}
