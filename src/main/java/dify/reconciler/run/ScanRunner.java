package dify.reconciler.run;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.Severity;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.DifyDatabaseSettings;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.config.StorageProducer;
import dify.reconciler.config.UnpooledSessions;
import dify.reconciler.detect.FindingSink;
import dify.reconciler.detect.GraceWindow;
import dify.reconciler.inventory.postgres.DaemonDatabaseReader;
import dify.reconciler.inventory.postgres.DifyTenantsReader;
import dify.reconciler.inventory.storage.InventoryListing;
import dify.reconciler.inventory.storage.InventoryLocation;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StorageException;
import dify.reconciler.inventory.storage.StorageRequestListener;
import dify.reconciler.inventory.workdir.WorkingPath;
import dify.reconciler.report.ScanPhase;
import dify.reconciler.report.ScanReport;
import dify.reconciler.state.FindingLedger;
import dify.reconciler.state.LedgerUpdate;
import dify.reconciler.state.LedgerView;
import dify.reconciler.state.RunRecord;
import dify.reconciler.state.RunStore;
import dify.reconciler.state.StateStore;
import dify.reconciler.state.VerifiedObjects;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * Runs scans, one at a time, and turns every outcome into a {@link ScanReport}: a scan that throws becomes
 * a failed report with its cause and phase, never an empty (clean-looking) one. Each report is kept in the
 * {@link RunHistory}, fired as a CDI event (metrics observe it) and summarised in one log line.
 */
@ApplicationScoped
public class ScanRunner {

    private static final Logger LOG = Logger.getLogger(ScanRunner.class);

    private final ReentrantLock oneAtATime = new ReentrantLock();
    /** When the last successful scan that ran {@code tenant_storage_drift} started; null: none since this start. */
    private volatile Instant tenantStorageRanAt;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    ObjectStorage storage;

    @Inject
    StorageRequestListener requests;

    @Inject
    DaemonSettings daemon;

    @Inject
    ReconcilerConfig config;

    @Inject
    Clock clock;

    @Inject
    RunHistory history;

    @Inject
    StateStore state;

    @Inject
    FindingLedger ledger;

    @Inject
    RunStore runs;

    @Inject
    VerifiedObjects verifiedObjects;

    @Inject
    Event<ScanReport> finished;

    @Inject
    Config env;

    /** The working path to read, resolved as the daemon resolves a relative one (against its working directory). */
    private Optional<WorkingPath> workingPath() {
        return config.workingPath().map(String::trim).filter(p -> !p.isEmpty())
                .map(p -> new WorkingPath(Path.of(config.daemonWorkingDirectory()).resolve(p)));
    }
    /** For the daemon's {@code DB_PASSWORD} (the datasource's), which Dify's database is read with by default. */
    @Inject
    Config settings;

    /** Whether a scan is running now (for health data and the runs API). */
    public boolean isScanning() {
        return oneAtATime.isLocked();
    }

    /** Runs a scan unless one is already running; empty when it was skipped for that reason. */
    public Optional<ScanReport> scanIfIdle() {
        if (!oneAtATime.tryLock()) {
            LOG.info("scan skipped: the previous scan is still running");
            return Optional.empty();
        }
        try {
            return Optional.of(scanNow());
        } finally {
            oneAtATime.unlock();
        }
    }

    private ScanReport scanNow() {
        // Microseconds: what PostgreSQL keeps, so a first-seen time read back from the ledger equals the run's start.
        Instant started = clock.instant().truncatedTo(ChronoUnit.MICROS);
        String runId = UUID.randomUUID().toString();
        state.ensure();
        LedgerUpdate ledgerUpdate = ledger.begin(runId);
        FindingSink sink = new FindingSink(config.maxFindingsPerReport(), ledgerUpdate);
        GraceWindow grace = new GraceWindow(started.minus(config.gracePeriod()));
        Instant stuckBefore = started.minus(config.installTaskStuckAfter());
        long t0 = System.nanoTime();
        Scan scan = null;
        Map<String, Long> rows = Map.of();
        List<String> skipped = List.of();
        ScanReport report;
        try (DaemonDatabaseReader db = DaemonDatabaseReader.open(dataSource, config.databaseSchema().orElse(null), config.fetchSize(),
                config.databaseLockTimeout(), daemon.databaseDescription())) {
            skipped = db.schema().missingOptionalTables();
            for (String table : skipped) {
                sink.note("table " + table + " does not exist (older daemon?): its checks were skipped");
            }
            scan = new Scan(db, storage, daemon.layout(), grace, stuckBefore, config.deepVerify(), sink)
                    .withVerifyCache(new DeepVerifier.Caching(verifiedObjects, started, config.deepVerifyFullEvery(),
                            config.deepVerifyCacheMaxEntries()))
                    .withListingConcurrency(config.storage().listingConcurrency());
            if (config.storage().listing() == ReconcilerConfig.Listing.INVENTORY) {
                scan.withInventoryListing(this::openInventoryReport, config.storage().inventoryConfirmMax());
            }
            tenantStorageNotDue(started).ifPresent(scan::withoutTenantStorage);
            Optional<WorkingPath> workingPath = workingPath();
            if (workingPath.isPresent()) {
                scan.alsoReadWorkingPath(workingPath.get(),
                        NodeName.of(config.nodeName(), name -> env.getOptionalValue(name, String.class)));
            }
            Optional<DifyDatabaseSettings> dify = DifyDatabaseSettings.from(config, daemon,
                    settings.getOptionalValue("quarkus.datasource.password", String.class));
            if (dify.isPresent()) {
                scan.withDifyTenants(() -> DifyTenantsReader.open(dify.get(), config.databaseLockTimeout(), config.fetchSize()));
            }
            scan.run();
            rows = new LinkedHashMap<>(db.rowsScanned());
            // What a check that did not run would have found is unknown, not gone: its open entries stay open.
            ledgerUpdate.keepOpen(sink.checksNotRun().keySet());
            LedgerView view = ledgerUpdate.complete(started, sorted(sink.findings()), sink.countsByKind());
            if (ledgerUpdate.problem() != null) {
                sink.note("the finding ledger was not updated (" + ledgerUpdate.problem() + "): first-seen times and"
                        + " confirmations of this run are missing");
            }
            report = report(runId, started, ScanReport.Result.SUCCESS, null, null, sink, scan, rows, skipped, t0, view);
            if (scan.runsTenantStorage()) {
                tenantStorageRanAt = started;
            }
        } catch (Exception | Error e) {
            // Errors too: an OutOfMemoryError on a huge listing or a StackOverflowError on a deep tree is a failed
            // run, not an escape that leaves the previous success in the report, the metrics and readiness.
            ScanPhase phase = scan == null ? ScanPhase.DATABASE : scan.phase();
            String cause = describe(e);
            LOG.errorf(e, "scan %s failed in phase %s: %s", runId, phase.label(), cause);
            ledgerUpdate.abandon();
            report = report(runId, started, ScanReport.Result.FAILURE, cause, phase, sink, scan, rows, skipped, t0,
                    LedgerView.EMPTY);
            // A failed run may leave a dead connection in the pool (a scan that yielded terminated its own backend;
            // a database restart): close those that no longer validate, so the next scan starts on a live one.
            dataSource.flush(AgroalDataSource.FlushMode.INVALID);
        }
        history.add(report);
        runs.record(runRecord(report));
        logSummary(report);
        finished.fire(report);
        return report;
    }

    /**
     * The latest inventory report, staged in the state database for the scan's listings. Refused in memory mode:
     * sorting a report of 10^8 keys in the heap is not flat memory.
     */
    InventoryListing openInventoryReport(List<String> prefixes) {
        if (!state.persisted()) {
            throw new StorageException("reconciler.storage.listing=inventory sorts the report in the state database, and"
                    + " state is in memory (" + state.reason() + "): give the reconciler its state schema, or list with"
                    + " reconciler.storage.listing=list");
        }
        InventoryLocation location = InventoryLocation.parse(config.storage().inventoryLocation().orElse(""));
        String bucket = StorageProducer.inventoryBucket(daemon);
        return InventoryListing.open(storage, bucket, StorageProducer.inventoryReports(daemon, config, requests, location.bucket()),
                StorageProducer.inventoryFormat(location, bucket), prefixes, inventorySession(), clock.instant(),
                config.storage().inventoryMaxAge());
    }

    /**
     * Sessions of the state database outside the service's pool ({@link UnpooledSessions}): the inventory listing holds
     * one for its temporary table through the storage phase, which may take hours on a big report; one of the pool's few
     * connections held that long would be missing to the ledger, the lock watch and health checks. TCP keep-alive: the
     * session sits idle between the report's data files, and a peer gone meanwhile is noticed at the next statement.
     */
    DataSource inventorySession() {
        return UnpooledSessions.of(settings, daemon).dataSource(Map.of("tcpKeepAlive", "true"));
    }

    /**
     * Why this scan leaves {@code tenant_storage_drift} out ({@code reconciler.tenant-storage-interval} not yet over
     * since the last successful scan that ran it), or empty when it runs.
     */
    private Optional<String> tenantStorageNotDue(Instant started) {
        Optional<Duration> interval = config.tenantStorageInterval();
        Instant ranAt = tenantStorageRanAt;
        if (interval.isEmpty() || ranAt == null || !started.isBefore(ranAt.plus(interval.get()))) {
            return Optional.empty();
        }
        return Optional.of("reconciler.tenant-storage-interval is " + interval.get() + ": it last ran in the scan of "
                + ranAt + " and runs again from " + ranAt.plus(interval.get()));
    }

    private ScanReport report(String runId, Instant started, ScanReport.Result result, String error, ScanPhase failedPhase,
            FindingSink sink, Scan scan, Map<String, Long> rows, List<String> skipped, long t0, LedgerView view) {
        boolean ok = result == ScanReport.Result.SUCCESS;
        Map<String, Duration> phases = new LinkedHashMap<>(scan == null ? Map.of() : scan.phases());
        phases.put(ScanPhase.TOTAL, Duration.ofNanos(System.nanoTime() - t0));
        ScanReport.Scope scope = new ScanReport.Scope(daemon.storageType().label(), daemon.storageDescription(),
                daemon.databaseDescription(), config.deepVerify(), config.gracePeriod(), rows,
                scan == null ? Map.of() : scan.objectsListed(), skipped, scan == null ? null : scan.workingPathScope(),
                ok ? checksNotRun(sink) : Map.of(), scan == null ? 0 : scan.deepVerified().packageBytesRead(),
                scan == null ? 0 : scan.deepVerified().packagesVerifiedFromCache());
        // A failed scan reports no findings and no counts: partial results must not look like a verdict.
        List<Finding> findings = ok ? sorted(sink.findings()) : List.of();
        ScanReport.Summary summary = ok
                ? new ScanReport.Summary(sink.total(), sink.countsByKind(), sink.countsBySeverity(), sink.bytesByKind(),
                        sink.rowsInGrace(), sink.objectsInGrace(), sink.unrecognizedKeys(),
                        sink.packagesUnverified())
                : null;
        return new ScanReport(runId, started, clock.instant(), result, error,
                failedPhase == null ? null : failedPhase.label(), scope, findings,
                ok && sink.truncated(), summary, phases, ok ? sink.notes() : List.of(),
                new ScanReport.State(state.mode().name().toLowerCase(Locale.ROOT), state.reason()), view);
    }

    private static Map<String, String> checksNotRun(FindingSink sink) {
        Map<String, String> labelled = new LinkedHashMap<>();
        sink.checksNotRun().forEach((kind, reason) -> labelled.put(kind.label(), reason));
        return labelled;
    }

    private static RunRecord runRecord(ScanReport r) {
        ScanReport.Summary s = r.summary();
        Map<String, Long> bySeverity = new LinkedHashMap<>();
        Map<String, Long> byKind = new LinkedHashMap<>();
        if (s != null) {
            s.bySeverity().forEach((severity, n) -> bySeverity.put(severity.label(), n));
            s.byKind().forEach((kind, n) -> byKind.put(kind.label(), n));
        }
        return new RunRecord(r.runId(), r.startedAt(), r.finishedAt(), r.succeeded() ? "success" : "failure",
                r.failedPhase(), r.error(), s == null ? null : s.total(), bySeverity, byKind,
                r.scope() == null ? Map.of() : r.scope().rowsScanned(), r.scope() == null ? Map.of() : r.scope().objectsListed());
    }

    private static List<Finding> sorted(List<Finding> findings) {
        List<Finding> copy = new ArrayList<>(findings);
        copy.sort(Comparator.comparing((Finding f) -> f.severity()).reversed().thenComparing(f -> f.kind()));
        return copy;
    }

    private void logSummary(ScanReport r) {
        if (r.succeeded()) {
            ScanReport.Summary s = r.summary();
            LOG.infof("scan %s result=success duration=%.3fs findings=%d critical=%d warning=%d info=%d"
                    + " rows_in_grace=%d objects_in_grace=%d", r.runId(), r.duration().toNanos() / 1e9, s.total(),
                    s.bySeverity().get(Severity.CRITICAL),
                    s.bySeverity().get(Severity.WARNING),
                    s.bySeverity().get(Severity.INFO), s.rowsInGrace(), s.objectsInGrace());
        } else {
            LOG.errorf("scan %s result=failure duration=%.3fs phase=%s error=%s", r.runId(),
                    r.duration().toNanos() / 1e9, r.failedPhase(), r.error());
        }
    }

    /** The cause chain in one line, without stack traces (those go to the log). */
    public static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        Throwable t = e;
        int depth = 0;
        while (t != null && depth < 4) {
            String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (sb.indexOf(msg) < 0) {
                if (sb.length() > 0) {
                    sb.append(": ");
                }
                sb.append(msg);
            }
            t = t.getCause() == t ? null : t.getCause();
            depth++;
        }
        return sb.toString();
    }
}
