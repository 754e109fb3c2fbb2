package dify.reconciler.config;

import dify.reconciler.catalog.Severity;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Our own settings, under {@code reconciler.} ({@code RECONCILER_…} in the environment). The daemon's
 * settings (database, storage) keep the daemon's own names: see {@link DaemonSettings}.
 */
@ConfigMapping(prefix = "reconciler")
public interface ReconcilerConfig {

    /** Rows and objects changed more recently than this are left out of a scan (and counted). {@code 0s} disables it. */
    @WithDefault("1h")
    Duration gracePeriod();

    /**
     * How often the service scans ({@code 10m}, {@code 1h}; {@code off} disables scheduled scans). Read by the
     * scheduler as {@code ${reconciler.interval}}; kept here so it is validated and documented in one place.
     */
    @WithDefault("10m")
    String interval();

    /** Delay between start-up and the first scheduled scan (read by the scheduler as {@code ${reconciler.first-scan-delay}}). */
    @WithDefault("5s")
    Duration firstScanDelay();

    /** Write logs as one JSON object per line (read by the logging set-up as {@code ${reconciler.log-json}}). */
    @WithDefault("false")
    boolean logJson();

    /** Download every package and installed copy and verify its checksum and copy (costly). */
    @WithDefault("false")
    boolean deepVerify();

    /**
     * Deep verify reads an object again, even unchanged, once its cached verdict is this old, so bit rot the store's
     * version does not show stays visible; until then an object listed at the version it was judged at is not read.
     * {@code 0s}: no cache, every object is read on every scan.
     */
    @WithDefault("7d")
    Duration deepVerifyFullEvery();

    /**
     * How often {@code tenant_storage_drift} (the listing of {@code persistence/}, per-tenant plugin data) runs, when less
     * often than every scan: a scan less than this after the last one that ran it skips it (a check that did not run:
     * its open findings stay open). Unset: every scan. Counted in the service's memory: the first scan after a start
     * always runs it, and so does every one-shot {@code scan}.
     */
    Optional<Duration> tenantStorageInterval();

    /** The most verdicts deep verify's cache keeps (the most recent); {@code 0}: no cache. */
    @WithDefault("1000000")
    int deepVerifyCacheMaxEntries();

    /** The lowest severity that makes the one-shot command exit 1 ({@code info|warning|critical}). */
    @WithDefault("warning")
    Severity failOn();

    /** An install task that is not {@code success} and unchanged for this long is reported as stuck. */
    @WithDefault("1h")
    Duration installTaskStuckAfter();

    /**
     * The PostgreSQL schema holding the daemon's tables. Unset (the default): the schema the daemon's own
     * connection uses, i.e. the first existing schema on the {@code search_path} ({@code current_schema()}),
     * which is {@code public} unless {@code DB_EXTRAS} (e.g. {@code -c search_path=plugins}) or the role's
     * settings say otherwise.
     */
    Optional<String> databaseSchema();

    /**
     * The name of Dify's own (API) database, typically {@code dify}, on the daemon's server and read with the
     * daemon's credentials: its {@code tenants} table tells which workspaces still exist
     * ({@code installation_tenant_missing}). Unset (the default): that check is off.
     */
    Optional<String> difyDatabase();

    /**
     * A JDBC URL ({@code jdbc:postgresql://host:port/dify}) of Dify's database when it is not on the daemon's
     * server; replaces the host, port and {@link #difyDatabase()}. Setting it turns the tenant check on as well.
     */
    Optional<String> difyDatabaseUrl();

    /** The user that reads Dify's {@code tenants}; unset: the daemon's {@code DB_USERNAME}. */
    Optional<String> difyDatabaseUsername();

    /** That user's password; unset: the daemon's {@code DB_PASSWORD}. Never logged nor reported. */
    Optional<String> difyDatabasePassword();

    /** How long a query may wait for a table lock (e.g. held by a daemon migration) before the scan fails. */
    @WithDefault("30s")
    Duration databaseLockTimeout();

    /**
     * The plugin daemon's working directory, absolute: a relative {@code PLUGIN_STORAGE_LOCAL_ROOT} (the daemon's
     * default is {@code storage}) is resolved against it, as the daemon resolves it, never against ours. The
     * daemon's images run in {@code /app}; mount the daemon's volume at the same path in our container.
     */
    @WithDefault("/app")
    String daemonWorkingDirectory();

    /**
     * The daemon's working path ({@code PLUGIN_WORKING_PATH}) as mounted here, read-only; unset (the default): not
     * read. Relative: resolved against {@link #daemonWorkingDirectory()}, as the daemon resolves its own.
     */
    Optional<String> workingPath();

    /** The node (pod) named in the report's working-path figures and findings; unset: {@code POD_NAME}, else {@code HOSTNAME}. */
    Optional<String> nodeName();

    /** Rows fetched per round trip by server-side cursors. */
    @WithDefault("5000")
    int fetchSize();

    /** The most findings one report keeps (counts stay exact; the report says when it was cut). */
    @WithDefault("10000")
    int maxFindingsPerReport();

    /**
     * What this process is: {@code service}, or {@code scan} for every one-shot command. Set by the launcher from
     * the command line, not by operators; read once into {@link ProcessMode}.
     */
    @WithDefault("service")
    @WithConverter(ProcessMode.Setting.class)
    ProcessMode mode();

    /**
     * Set in the plugin daemon's pod (k8s/sidecar/): the reconciler must never make that pod not-ready. A
     * configuration that does not start (unsupported storage type, missing variable, malformed setting) then
     * leaves the process running with every probe UP and {@code plugin_reconciler_configuration_valid 0} at
     * {@code /q/metrics} instead of exiting, and an unreachable database or bucket never makes readiness DOWN
     * (whatever {@code reconciler.health.readiness-requires-dependencies} says). Read by the launcher before
     * start-up ({@code RECONCILER_SIDECAR} or {@code -Dreconciler.sidecar}); the one-shot command ignores it.
     */
    @WithDefault("false")
    boolean sidecar();

    /** The reconciler's own state (runs, finding ledger, listing history) in the daemon's database. */
    State state();

    /** Settings of {@code doctor} and {@code GET /api/v1/doctor}. */
    Doctor doctor();

    /** Settings of the doctor's checks. */
    interface Doctor {

        /**
         * How far the database's and the storage's clocks may be from ours (and from each other) before the doctor
         * warns: the grace period and the remediation's min-age compare timestamps of all three.
         */
        @WithDefault("30s")
        Duration clockSkewTolerance();
    }

    /** Settings of the reconciler's own state. */
    interface State {

        /**
         * Schema of the reconciler's own state, created and upgraded by Flyway (its history table lives there
         * too). Never one of the daemon's schemas' tables: we run no DDL on those. With credentials that may not
         * create it (report mode's SELECT-only role) the service keeps its state in memory and says so.
         */
        @WithDefault("plugin_reconciler")
        String schema();

        /** Closed finding-ledger entries, runs and listing history older than this are deleted. */
        @WithDefault("30d")
        Duration retention();
    }

    /** Remediation: plans that repair or quarantine rows, applied only when armed (see README "Remediation"). */
    Remediation remediation();

    /** Settings of remediation. Nothing is changed unless {@link #dryRun()} is the literal {@code false} and the kind is listed. */
    interface Remediation {

        /**
         * Only the literal {@code false} arms remediation. Dry run computes the same plan and shows what would
         * be done; only the applier reads this, at the last moment.
         */
        @WithDefault("true")
        String dryRun();

        /** Finding kinds whose remedies may be applied (e.g. {@code refers_too_low,refers_drift}); empty = none. */
        Optional<List<String>> kinds();

        /** Consecutive successful scans that must have seen a finding before it is acted on. */
        @WithDefault("3")
        int confirmations();

        /** A finding (warning or critical) must have been first seen at least this long ago. */
        @WithDefault("1h")
        Duration minAge();

        /** Like {@link #minAge()} for info kinds (e.g. {@code endpoint_orphaned}), which are never urgent. */
        @WithDefault("7d")
        Duration minAgeInfo();

        /** At most this many actions per plan; the rest is withheld with reason {@code cap}. */
        @WithDefault("50")
        int maxActionsPerRun();

        /** Per kind, at most this share of the kind's population (rows of its tables) is acted on per plan. */
        @WithDefault("0.1")
        double maxShare();

        /** A plan older than this is refused by {@code apply}. */
        @WithDefault("1h")
        Duration planTtl();

        /**
         * How far back the listing guard looks for a prefix's recent maximum: a listing below half of it (while the
         * database says objects exist) stops the plan. From our {@code listing_history}, or this process's runs
         * when state is in memory.
         */
        @WithDefault("7d")
        Duration listingWindow();

        /**
         * Quarantined items not restored within this are purged (really deleted): by {@code purge}, and daily by
         * the leader of an armed service.
         */
        @WithDefault("30d")
        Duration retention();

        /**
         * Where objects' old bytes go before they are removed or overwritten: a relative key prefix ending in
         * {@code /}, outside every daemon prefix (see {@code remediate.QuarantinePrefix}); the original key is
         * kept as the suffix.
         */
        @WithDefault("reconciler-quarantine/")
        String quarantinePrefix();

        /**
         * {@code none}: an armed leader applies each plan after its scan. {@code required}: it publishes the plan and
         * applies only a plan someone approved ({@code POST /api/v1/plans/{id}/approve}); see
         * {@code approval.ApprovalSettings}.
         */
        @WithDefault("none")
        String approval();

        /** How long a published plan may wait for approval, and an approved plan for its application. */
        @WithDefault("24h")
        Duration approvalTtl();

        /**
         * When the service may act: {@code DAYS HH:MM-HH:MM ZONE} windows separated by {@code ;} (e.g.
         * {@code Mon-Fri 02:00-04:00 Europe/Berlin}); empty = always. See {@code approval.ChangeWindows}.
         */
        Optional<String> windows();
    }

    /** Clearing the plugin daemon's Redis cache after a repair (Redis itself: the daemon's {@code REDIS_*} variables). */
    Cache cache();

    /** Settings of cache clearing. */
    interface Cache {

        /**
         * Each stale key is deleted right after the repair's commit and once more this long after: a daemon reader
         * that loaded the old row just before the commit may store it again. Must cover a daemon query.
         */
        @WithDefault("5s")
        Duration secondDeleteAfter();

        /** How long connecting to Redis, or one command, may take before the delete counts as failed. */
        @WithDefault("2s")
        Duration timeout();
    }

    /** Limits on each request to an S3 bucket (the daemon's {@code S3_*} variables say which bucket). */
    S3 s3();

    /** Request limits of the S3 client; see {@code inventory.storage.S3Timeouts}. */
    interface S3 {

        /** To open a connection to the S3 endpoint. */
        @WithDefault("5s")
        Duration connectTimeout();

        /** The longest silence while waiting for (part of) an answer. */
        @WithDefault("30s")
        Duration readTimeout();

        /** One request from start to answer, every retry included: an endpoint that never answers fails it after this. */
        @WithDefault("2m")
        Duration requestTimeout();
    }

    /** Where the storage is, beyond the daemon's own variables. */
    Storage storage();

    interface Storage {

        /**
         * For {@code aliyun_oss}, {@code tencent_cos}, {@code huawei_obs}, {@code volcengine_tos} and {@code baidu_bos}:
         * the provider's S3-compatible endpoint ({@code https://host[:port]}), replacing the one derived from the
         * daemon's variables (for when a provider moves its S3 API, or a private domain has another shape). Unset:
         * derived (see the README's storage backends table). Ignored for the other storage types.
         */
        Optional<String> s3Endpoint();

        /**
         * Folder listings in flight at once when {@code persistence/} is listed folder by folder (per tenant), merged
         * back into one listing in key order ({@code inventory.ParallelPrefixListing}). Listing waits on the store, not
         * on the CPU, so more than one helps in a 1-CPU container too; {@code 1}: one sequential listing.
         */
        @WithDefault("4")
        int listingConcurrency();

        /**
         * Where a scan lists the bucket from: {@code list} (ListObjectsV2 calls) or {@code inventory} (the latest Amazon S3
         * Inventory report in CSV under {@link #inventoryLocation()}, staged in the state database; missing and orphaned
         * candidates confirmed with a HEAD). See docs/inventory-reports.md.
         */
        @WithDefault("list")
        Listing listing();

        /** {@code s3://<bucket>/<prefix>/<source bucket>/<configuration id>/}: the folder of the inventory's reports. */
        Optional<String> inventoryLocation();

        /** The oldest inventory report a scan lists from (from the manifest's creation time); an older one fails the scan. */
        @WithDefault("36h")
        Duration inventoryMaxAge();

        /** HEADs per scan confirming missing and orphaned candidates drawn from an inventory report. */
        @WithDefault("10000")
        int inventoryConfirmMax();
    }

    /** How a scan learns the bucket's objects. */
    enum Listing {
        LIST,
        INVENTORY
    }

    /** Notices to a webhook for people without Alertmanager (see {@code notify.Notifications}); off unless a URL is set. */
    @WithName("notify") // notify() is Object's
    Notify notifications();

    /** Settings of the webhook. The URL may carry a token (Slack's does): only its scheme, host and port are ever logged. */
    interface Notify {

        /**
         * Where the service POSTs a JSON notice ({@code http://} or {@code https://}) when the set of critical findings
         * changes, when a run fails after succeeding and when the remediation breaker trips. Unset (the default): off.
         */
        Optional<String> webhookUrl();

        /** One attempt (connect, send, answer) may take this long before it counts as failed. */
        @WithDefault("10s")
        Duration timeout();

        /** Attempts after the first, for a notice the receiver refused (not 2xx) or did not answer. */
        @WithDefault("3")
        int retries();

        /** The wait before the first retry; each further retry waits twice as long as the one before. */
        @WithDefault("2s")
        Duration retryBackoff();

        /** Notices waiting to be sent; one more is dropped (and counted) rather than make a scan wait. */
        @WithDefault("100")
        int queueSize();

        /**
         * The service's address as people reach it (e.g. {@code https://reconciler.example.com/}); when set, each notice
         * carries links to its report and runs under it. Unset: no links.
         */
        Optional<String> linkBase();
    }

    /** How many past runs the service remembers (for {@code /api/v1/runs} and finding ages). */
    @WithDefault("50")
    int runHistorySize();

}
