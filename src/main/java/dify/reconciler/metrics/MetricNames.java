package dify.reconciler.metrics;

/**
 * Every meter the service exports, in one place. These are the Micrometer names; the Prometheus exposition
 * adds {@code _total} to counters and {@code _bucket}/{@code _count}/{@code _sum}/{@code _max} to the timer.
 * The alert rules ({@code k8s/rules/}), the dashboard ({@code grafana/}) and the runbook use the exposition
 * names, and {@code scripts/check-ops-assets.sh} fails when they name one that is not exported.
 *
 * <p>Tags are bounded enums only ({@code kind}, {@code severity}, {@code result}, {@code phase}, {@code table},
 * {@code prefix}, {@code operation}, {@code outcome}, {@code guard}, {@code event}, and the three {@code info} labels): never a tenant,
 * plugin, key or row id.
 */
public final class MetricNames {

    /** Gauge {@code {kind,severity}}: findings of the last successful scan; every kind at 0 from start-up. */
    public static final String FINDINGS = "plugin_reconciler_findings";
    /** Gauge {@code {kind}}: bytes concerned (orphaned objects) in the last successful scan. */
    public static final String FINDING_BYTES = "plugin_reconciler_finding_bytes";
    /** Gauge {@code {kind}}: epoch seconds when the oldest still-present finding of the kind was first seen; 0 = none. */
    public static final String OLDEST_FINDING = "plugin_reconciler_oldest_finding_timestamp_seconds";
    /** Counter {@code {result=success|failure}}: completed scans (exposed as {@code plugin_reconciler_runs_total}). */
    public static final String RUNS = "plugin_reconciler_runs";
    /** Timer (histogram) {@code {phase=total|database|detect|storage|verify}}: scan duration per phase. */
    public static final String RUN_DURATION = "plugin_reconciler_run_duration";
    /** Gauge: epoch seconds when the last scan, successful or not, ended; 0 until then. */
    public static final String LAST_RUN = "plugin_reconciler_last_run_timestamp_seconds";
    /** Gauge: epoch seconds when the last successful scan ended; 0 until then. */
    public static final String LAST_SUCCESS = "plugin_reconciler_last_success_timestamp_seconds";
    /** Gauge {@code {table}}: rows the last successful scan read per table. */
    public static final String ROWS_SCANNED = "plugin_reconciler_rows_scanned";
    /** Gauge {@code {prefix}}: objects the last successful scan listed per prefix label. */
    public static final String OBJECTS_LISTED = "plugin_reconciler_objects_listed";
    /** Counter {@code {operation=list|head|get, outcome=ok|error}}: requests to the bucket or folder. */
    public static final String STORAGE_REQUESTS = "plugin_reconciler_storage_requests";
    /** Gauge = 1 {@code {version, storage_type, mode=service|scan}}: what is running. */
    public static final String INFO = "plugin_reconciler_info";
    /** Gauge: the configured scan interval in seconds; 0 when scheduled scans are off. */
    public static final String INTERVAL = "plugin_reconciler_interval_seconds";
    /** Gauge: objects the last successful deep verify could not judge (ZIP64, encrypted); 0 without deep verify. */
    public static final String PACKAGES_UNVERIFIED = "plugin_reconciler_packages_unverified";
    /**
     * Counter: package and installed-copy bytes deep verify downloaded (exposed as
     * {@code plugin_reconciler_deep_verify_bytes_read_total}); objects whose cached verdict still held add nothing.
     */
    public static final String DEEP_VERIFY_BYTES_READ = "plugin_reconciler_deep_verify_bytes_read";
    /**
     * Gauge {@code {kind}}: 1 when the last successful scan was asked to run the check of this kind but could not
     * (e.g. Dify's database unreachable or its {@code tenants} not granted; the report's notes say why), else 0. Only
     * for checks that depend on something beyond the daemon's database and bucket ({@code installation_tenant_missing}).
     */
    public static final String CHECK_NOT_RUN = "plugin_reconciler_check_not_run";
    /** Gauge 0/1: whether runs and the finding ledger are kept in our schema (1) or only in memory (0). */
    public static final String STATE_PERSISTED = "plugin_reconciler_state_persisted";

    /**
     * Gauge: 1 when the configuration was read and validated and the service runs; 0 when it did not start and
     * a sidecar keeps only probes and this gauge alive ({@code reconciler.sidecar=true}, see
     * {@link dify.reconciler.observe.InvalidConfigurationServer InvalidConfigurationServer}). Without the sidecar setting an invalid configuration stops the process.
     */
    public static final String CONFIGURATION_VALID = "plugin_reconciler_configuration_valid";

    /**
     * Gauge: 1 while this replica leads (holds the PostgreSQL advisory lock of its state schema, see
     * {@code dify.reconciler.leader.LeaderElection}), else 0; 0 from start-up until the first try succeeds, and
     * always 0 in the one-shot command. Across the replicas of one database at most one reports 1.
     */
    public static final String LEADER = "plugin_reconciler_leader";

    /**
     * Counter {@code {kind,action,outcome}}: remediation actions (exposed as
     * {@code plugin_reconciler_remediation_actions_total}); outcome is planned, applied, skipped_changed, failed,
     * dry_run, withheld, restored, restore_refused or purged; kind is {@code restore} for restores, {@code purge}
     * for purges.
     */
    public static final String REMEDIATION_ACTIONS = "plugin_reconciler_remediation_actions";

    /**
     * Counter {@code {guard}}: plans a guard stopped (exposed as {@code plugin_reconciler_guard_trips_total}); guard is
     * failed_scan, empty_listing, shrunk_listing, unknown_schema, cap or breaker. Every guard at 0 from start-up.
     */
    public static final String GUARD_TRIPS = "plugin_reconciler_guard_trips";

    /** Gauge 0/1: 1 while the remediation breaker is tripped (a cap was exceeded and nobody acknowledged it yet). */
    public static final String BREAKER_TRIPPED = "plugin_reconciler_breaker_tripped";

    /** Gauge 0/1: 1 while remediation is suspended ({@code POST /api/v1/remediation/suspend}; nothing is applied or purged). */
    public static final String REMEDIATION_SUSPENDED = "plugin_reconciler_remediation_suspended";

    /**
     * Counter {@code {outcome}}: the daemon's stale Redis keys after a committed repair or restore, per delete pass
     * (each key is deleted right after the commit and once more a few seconds later); outcome is deleted, absent
     * (not cached), failed (Redis unreachable or refusing, or invalid Redis settings) or not_configured (no
     * {@code REDIS_HOST}). Failed and not_configured keys may be served by the daemon for up to 30 minutes.
     */
    public static final String CACHE_INVALIDATIONS = "plugin_reconciler_cache_invalidations";

    /**
     * Gauge {@code {store=rows}}: quarantined items neither restored nor purged (the object store adds
     * {@code store=objects}); refreshed after each scan, restore and purge of the service.
     */
    public static final String QUARANTINE_ITEMS = "plugin_reconciler_quarantine_items";

    /**
     * Counter {@code {event,outcome}}: webhook notices ({@code reconciler.notify.webhook-url}), exposed as
     * {@code plugin_reconciler_notifications_total}; event is critical_findings_changed, run_failed or breaker_tripped;
     * outcome is sent (2xx), failed (every attempt failed) or dropped (the queue was full). Every pair at 0 from start-up.
     */
    public static final String NOTIFICATIONS = "plugin_reconciler_notifications";

    public static final String TAG_KIND = "kind";
    public static final String TAG_ACTION = "action";
    public static final String TAG_SEVERITY = "severity";
    public static final String TAG_RESULT = "result";
    public static final String TAG_PHASE = "phase";
    public static final String TAG_TABLE = "table";
    public static final String TAG_PREFIX = "prefix";
    public static final String TAG_OPERATION = "operation";
    public static final String TAG_OUTCOME = "outcome";
    public static final String TAG_GUARD = "guard";
    public static final String TAG_STORE = "store";
    public static final String TAG_EVENT = "event";

    private MetricNames() {
    }
}
