package dify.reconciler.observe;

import static dify.reconciler.metrics.MetricNames.*;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.ProcessMode;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.leader.LeaderElection;
import dify.reconciler.report.ScanPhase;
import dify.reconciler.report.ScanReport;
import dify.reconciler.state.FindingLedger;
import dify.reconciler.state.RunStore;
import dify.reconciler.state.StateStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Turns each {@link ScanReport} into the service's metrics. Every series the alert rules and the dashboard
 * read is registered at start-up (at 0), so "nothing found yet" and "not exported" never look alike.
 *
 * <p>A failed scan moves only the run counters, the run duration and the last-run timestamp: the findings,
 * bytes, ages, rows and objects gauges keep the last <em>successful</em> scan, because a failed scan's partial
 * numbers are not a verdict.
 */
@Startup
@ApplicationScoped
public class ReconcilerMetrics {

    private static final Logger LOG = Logger.getLogger(ReconcilerMetrics.class);

    /** The phases {@link ScanReport#phaseDurations()} uses; anything else is ignored (bounded tags). */
    static final List<String> PHASES = Stream.concat(Stream.of(ScanPhase.TOTAL), Arrays.stream(ScanPhase.values()).map(ScanPhase::label))
            .toList();

    /** Kinds whose check needs more than the daemon's database and bucket, and may therefore not run. */
    static final List<FindingKind> OPTIONAL_CHECKS = List.of(FindingKind.INSTALLATION_TENANT_MISSING);

    /** Histogram buckets: scans take from a fraction of a second (small daemon) to an hour (deep verify of a large bucket). */
    private static final Duration[] DURATION_BUCKETS = {Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2),
            Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofHours(1)};

    private final MeterRegistry registry;
    private final DaemonSettings daemon;

    private final Map<FindingKind, AtomicLong> findings = new EnumMap<>(FindingKind.class);
    private final Map<FindingKind, AtomicLong> bytes = new EnumMap<>(FindingKind.class);
    private final Map<FindingKind, AtomicLong> oldest = new EnumMap<>(FindingKind.class);
    private final Map<FindingKind, AtomicLong> checkNotRun = new EnumMap<>(FindingKind.class);
    private final Map<String, AtomicLong> rowsScanned = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> objectsListed = new ConcurrentHashMap<>();
    private final Map<String, Timer> durations = new LinkedHashMap<>();
    private final AtomicLong lastRun = new AtomicLong();
    private final AtomicLong lastSuccess = new AtomicLong();
    private final AtomicLong intervalSeconds = new AtomicLong();
    private final AtomicLong packagesUnverified = new AtomicLong();
    private final AtomicLong info = new AtomicLong(1);
    private final AtomicLong configurationValid = new AtomicLong(1);
    private final Counter successes;
    private final Counter failures;
    private final Counter deepVerifyBytesRead;
    private final AtomicLong statePersisted = new AtomicLong();
    private final List<Meter> owned = new ArrayList<>();

    @Inject
    public ReconcilerMetrics(MeterRegistry registry, DaemonSettings daemon, ReconcilerConfig config,
            @ConfigProperty(name = "quarkus.application.version", defaultValue = "unknown") String version,
            ProcessMode mode, LeaderElection leadership) {
        this.registry = registry;
        this.daemon = daemon;
        for (FindingKind kind : FindingKind.values()) {
            findings.put(kind, gauge(FINDINGS, "Findings of the last successful scan",
                    Tags.of(TAG_KIND, kind.label(), TAG_SEVERITY, kind.severity().label())));
            bytes.put(kind, gauge(FINDING_BYTES, "Bytes concerned (orphaned objects) in the last successful scan",
                    Tags.of(TAG_KIND, kind.label())));
            oldest.put(kind, gauge(OLDEST_FINDING,
                    "When the oldest still-present finding of the kind was first seen (epoch seconds), 0 = none",
                    Tags.of(TAG_KIND, kind.label())));
        }
        for (FindingKind kind : OPTIONAL_CHECKS) {
            checkNotRun.put(kind, gauge(CHECK_NOT_RUN,
                    "1 = the last successful scan was asked to run this kind's check and could not (see its notes)",
                    Tags.of(TAG_KIND, kind.label())));
        }
        successes = own(Counter.builder(RUNS).description("Completed scans by result").tag(TAG_RESULT, "success").register(registry));
        failures = own(Counter.builder(RUNS).description("Completed scans by result").tag(TAG_RESULT, "failure").register(registry));
        for (String phase : PHASES) {
            durations.put(phase, own(Timer.builder(RUN_DURATION).description("Scan duration per phase").tag(TAG_PHASE, phase)
                    .serviceLevelObjectives(DURATION_BUCKETS).register(registry)));
        }
        own(Gauge.builder(LAST_RUN, lastRun, AtomicLong::get).description("When the last scan ended (epoch seconds), 0 = never")
                .register(registry));
        own(Gauge.builder(LAST_SUCCESS, lastSuccess, AtomicLong::get)
                .description("When the last successful scan ended (epoch seconds), 0 = never").register(registry));
        for (String table : knownTables()) {
            rowsScanned.put(table, rowsGauge(table));
        }
        for (String prefix : List.of("plugin_packages", "plugin", "assets", "persistence")) {
            objectsListed.put(prefix, gauge(OBJECTS_LISTED, "Objects the last successful scan listed under the prefix",
                    Tags.of(TAG_PREFIX, prefix)));
        }
        deepVerifyBytesRead = own(Counter.builder(DEEP_VERIFY_BYTES_READ)
                .description("Package and installed-copy bytes deep verify downloaded").register(registry));
        own(Gauge.builder(PACKAGES_UNVERIFIED, packagesUnverified, AtomicLong::get)
                .description("Objects the last successful deep verify could not judge (ZIP64, encrypted)").register(registry));
        intervalSeconds.set(ScanInterval.seconds(config.interval()));
        own(Gauge.builder(INTERVAL, intervalSeconds, AtomicLong::get).description("Configured scan interval (seconds), 0 = off")
                .register(registry));
        // Constant 1 here: this bean only exists once the configuration passed. The 0 comes from
        // InvalidConfigurationServer, which replaces the service in a sidecar whose configuration does not start.
        own(Gauge.builder(CONFIGURATION_VALID, configurationValid, AtomicLong::get)
                .description("1 = the configuration is valid and the service runs; 0 = invalid (sidecar keeps running, no scans)")
                .register(registry));
        own(Gauge.builder(STATE_PERSISTED, statePersisted, AtomicLong::get)
                .description("1 = runs and the finding ledger are kept in our schema; 0 = in memory (lost on restart)")
                .register(registry));
        // Read at each scrape from the election's current status (never blocks): 0 until the first try succeeds.
        own(Gauge.builder(LEADER, leadership, l -> l.isLeader() ? 1 : 0).strongReference(true)
                .description("1 = this instance leads (holds the advisory lock of its state schema), 0 = it does not")
                .register(registry));
        own(Gauge.builder(INFO, info, AtomicLong::get).description("What is running (always 1)")
                .tags(Tags.of("version", version, "storage_type", daemon.storageType().label(), "mode", mode.setting()))
                .register(registry));
    }

    /**
     * After a restart, the gauges that derive from history start where the last run left them (last run, last
     * success, the last successful scan's counts, the ledger's first-seen times), so alerts whose clocks run on
     * them are not reset by a rollout. In the background: a slow database must not hold up start-up. Only in the
     * service: a one-shot command exports no metrics, and would exit under the thread ({@link ProcessMode}).
     */
    void restoreAfterRestart(@Observes StartupEvent started, ProcessMode role, StateStore state, RunStore runs,
            FindingLedger ledger) {
        if (role.oneShot()) {
            return;
        }
        Thread restore = new Thread(() -> restore(state, runs, ledger), "metrics-restore");
        restore.setDaemon(true);
        restore.start();
    }

    private void restore(StateStore state, RunStore runs, FindingLedger ledger) {
        try {
            boolean persisted = state.ensure() == StateStore.Mode.PERSISTED;
            statePersisted.set(persisted ? 1 : 0);
            if (!persisted) {
                return;
            }
            synchronized (this) {
                if (lastRun.get() != 0) {
                    return; // a scan finished first: it is newer than anything stored
                }
                runs.latest().ifPresent(run -> lastRun.set(epochSeconds(run.finishedAt())));
                runs.latestSuccess().ifPresent(run -> {
                    for (FindingKind kind : FindingKind.values()) {
                        findings.get(kind).set(run.byKind().getOrDefault(kind.label(), 0L));
                    }
                    run.rowsScanned().forEach((table, rows) -> rowsScanned.computeIfAbsent(table, this::rowsGauge).set(rows));
                    exportObjectsListed(run.objectsListed());
                    lastSuccess.set(epochSeconds(run.finishedAt()));
                });
                ledger.oldestOpen().forEach((kind, first) -> oldest.get(kind).set(epochSeconds(first)));
            }
            LOG.infof("metrics restored from the last stored runs and the finding ledger");
        } catch (RuntimeException e) {
            LOG.warnf(e, "could not restore metrics from stored state; they start at 0 until the first scan");
        }
    }

    /** Called for every finished scan (the runner fires the report as a CDI event). */
    synchronized void onScan(@Observes ScanReport report) {
        statePersisted.set(report.state() != null && "persisted".equals(report.state().mode()) ? 1 : 0);
        (report.succeeded() ? successes : failures).increment();
        for (Map.Entry<String, Duration> phase : report.phaseDurations().entrySet()) {
            Timer timer = durations.get(phase.getKey());
            if (timer != null) {
                timer.record(phase.getValue());
            } else {
                LOG.debugf("phase %s is not a metric phase; not recorded", phase.getKey());
            }
        }
        lastRun.set(epochSeconds(report.finishedAt()));
        if (report.scope() != null) {
            // Read even when a later phase failed: the bytes were downloaded all the same.
            deepVerifyBytesRead.increment(report.scope().packageBytesRead());
        }
        if (!report.succeeded() || report.summary() == null) {
            return;
        }
        ScanReport.Summary summary = report.summary();
        packagesUnverified.set(summary.packagesUnverified());
        Map<FindingKind, Instant> oldestFirstSeen = report.ledger().oldestFirstSeen();
        for (FindingKind kind : FindingKind.values()) {
            findings.get(kind).set(summary.byKind().getOrDefault(kind, 0L));
            bytes.get(kind).set(summary.bytesByKind().getOrDefault(kind, 0L));
            Instant first = oldestFirstSeen.get(kind);
            oldest.get(kind).set(first == null ? 0 : epochSeconds(first));
        }
        if (report.scope() != null) {
            report.scope().rowsScanned().forEach((table, rows) -> rowsScanned.computeIfAbsent(table, this::rowsGauge).set(rows));
            exportObjectsListed(report.scope().objectsListed());
            checkNotRun.forEach((kind, value) -> value.set(report.scope().checksNotRun().containsKey(kind.label()) ? 1 : 0));
        }
        lastSuccess.set(epochSeconds(report.finishedAt()));
    }

    private void exportObjectsListed(Map<String, Long> listedByLabel) {
        Map<String, String> roles = prefixRoles(daemon.layout());
        listedByLabel.forEach((label, count) -> {
            String prefix = roles.get(label);
            if (prefix == null) {
                LOG.debugf("objects listed under %s: not one of the layout's prefixes; not exported", label);
                return;
            }
            objectsListed.get(prefix).set(count);
        });
    }

    /**
     * Maps the report's prefix labels (the configured folders) to the fixed role names the alert rules use,
     * so a daemon with, say, {@code PLUGIN_INSTALLED_PATH=installed} still exports {@code prefix="plugin"}.
     */
    static Map<String, String> prefixRoles(StorageLayout layout) {
        Map<String, String> roles = new LinkedHashMap<>();
        roles.put(StorageLayout.label(layout.packages()), "plugin_packages");
        roles.put(StorageLayout.label(layout.installed()), "plugin");
        roles.put(StorageLayout.label(layout.assets()), "assets");
        roles.put(StorageLayout.label(layout.persistence()), "persistence");
        return roles;
    }

    private static List<String> knownTables() {
        List<String> tables = new ArrayList<>(List.of(DaemonSchema.PLUGINS, DaemonSchema.DECLARATIONS,
                DaemonSchema.INSTALLATIONS));
        tables.addAll(DaemonSchema.CATEGORY_TABLES);
        return tables;
    }

    private AtomicLong rowsGauge(String table) {
        return gauge(ROWS_SCANNED, "Rows the last successful scan read from the table", Tags.of(TAG_TABLE, table));
    }

    private AtomicLong gauge(String name, String description, Tags tags) {
        AtomicLong value = new AtomicLong();
        own(Gauge.builder(name, value, AtomicLong::get).description(description).tags(tags).register(registry));
        return value;
    }

    private <M extends Meter> M own(M meter) {
        owned.add(meter);
        return meter;
    }

    /**
     * Removes this bean's meters when the application stops. The injected registry is Micrometer's global
     * composite, which outlives the application; without this, an application started again in the same JVM
     * (as every {@code @QuarkusTest} with another profile or resource does) would get back the old meters, bound
     * to the old bean's values or to nothing.
     */
    @PreDestroy
    synchronized void removeMeters() {
        owned.forEach(registry::remove);
        owned.clear();
    }

    private static long epochSeconds(Instant t) {
        return t.getEpochSecond();
    }
}
