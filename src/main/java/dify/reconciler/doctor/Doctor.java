package dify.reconciler.doctor;

import dify.reconciler.approval.ApprovalSettings;
import dify.reconciler.approval.PlanApprovals;
import dify.reconciler.approval.Suspension;
import dify.reconciler.config.ConfigurationCheck;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.config.RedisSettings;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.leader.CommandLock;
import dify.reconciler.leader.LeaderStatus;
import dify.reconciler.observe.InvalidConfigurationServer;
import dify.reconciler.remediate.RemediationService;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.record.QuarantinePrefix;
import dify.reconciler.state.StateStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * {@code doctor} and {@code GET /api/v1/doctor}: one line per precondition of the current mode, each with what was
 * checked, the result and the fix. Every check runs on its own with a deadline, and any failure of it, expected or
 * not, becomes that check's {@code fail} line (the stack trace goes to the log): a doctor run never fails as a whole.
 * Nothing of the daemon's is changed; armed, the only writes are the storage probes under the quarantine prefix.
 * Every line is redacted of every secret-named setting's value before it leaves.
 */
@ApplicationScoped
public class Doctor {

    private static final Logger LOG = Logger.getLogger(Doctor.class);

    /** A check that has not answered by then is reported as failed (its thread is left to finish on its own). */
    static final Duration CHECK_DEADLINE = Duration.ofSeconds(60);

    /** The doctor's own statement and lock timeout on the database. */
    static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(10);

    @Inject
    ReconcilerConfig config;

    @Inject
    DaemonSettings daemon;

    @Inject
    DataSource dataSource;

    @Inject
    ObjectStorage storage;

    @Inject
    StateStore state;

    @Inject
    RemediationService remediation;

    @Inject
    CommandLock actorLock;

    @Inject
    ConfigurationCheck configuration;

    @Inject
    Clock clock;

    @Inject
    Config settings;

    @Inject
    PlanApprovals approvals;

    @Inject
    Suspension suspension;

    /** The doctor command's run: armed, the storage probes write under the quarantine prefix. */
    public DoctorReport run() {
        return run(null);
    }

    /**
     * @param probesRefused why the armed storage probes must not write in this run (null: they may), e.g. a request
     *        to the API without the API token: an unauthenticated GET never writes to the bucket
     */
    public DoctorReport run(String probesRefused) {
        List<DoctorCheck> checks = new ArrayList<>();
        RemediationPolicy policy = remediation.policy();
        boolean armed = policy.armed();
        boolean probes = armed && probesRefused == null;
        checks.add(configurationLine(policy));
        // Independent checks run side by side: the slowest dependency, not their sum, decides how long doctor takes.
        Pending<DatabaseChecks.Result> db = start("database", () -> new DatabaseChecks(dataSource,
                config.databaseSchema().orElse(null), daemon.databaseDescription(), armed, clock, STATEMENT_TIMEOUT).run(),
                e -> new DatabaseChecks.Result(List.of(e), null));
        Pending<DoctorCheck> stateLine = start("state", () -> stateLine(armed), e -> e);
        Pending<StorageChecks.Result> st = start("storage", () -> {
            QuarantinePrefix quarantine = probes ? remediation.quarantinePrefix() : null;
            return new StorageChecks(storage, daemon.layout(), quarantine, clock,
                    armed ? probesRefused : "report mode writes nothing").run();
        }, e -> new StorageChecks.Result(List.of(e), null));
        Pending<DoctorCheck> redis = start(RedisCheck.NAME, () -> RedisCheck.run(redisSettings(), config.cache().timeout(), armed),
                e -> e);
        Pending<DoctorCheck> leader = start("leader lock", () -> leaderLine(armed), e -> e);
        ApprovalSettings approval = ApprovalSettings.of(config.remediation());
        Pending<DoctorCheck> approvalLine = start(RemediationControlChecks.APPROVAL,
                () -> approvalLine(approval, armed), e -> e);
        Pending<DoctorCheck> suspensionLine = start(RemediationControlChecks.SUSPENSION,
                () -> RemediationControlChecks.suspension(suspension.status()), e -> e);
        Instant deadline = Instant.now().plus(CHECK_DEADLINE);
        DatabaseChecks.Result dbResult = db.await(deadline);
        checks.addAll(dbResult.checks());
        checks.add(stateLine.await(deadline));
        StorageChecks.Result stResult = st.await(deadline);
        checks.addAll(stResult.checks());
        checks.add(redis.await(deadline));
        checks.add(leader.await(deadline));
        checks.add(ClockSkewCheck.evaluate(dbResult.clock(), stResult.clock(), probes, config.doctor().clockSkewTolerance()));
        checks.add(approvalLine.await(deadline));
        checks.add(RemediationControlChecks.windows(approval.windows(), clock.instant()));
        checks.add(suspensionLine.await(deadline));
        Map<String, String> secrets = secrets();
        return new DoctorReport(checks.stream().map(c -> c.redacted(text -> InvalidConfigurationServer.redact(text, secrets)))
                .collect(Collectors.toList()));
    }

    private DoctorCheck configurationLine(RemediationPolicy policy) {
        if (!configuration.passed()) {
            return DoctorCheck.fail("configuration", "not validated", "see the start-up log");
        }
        String mode = policy.armed()
                ? "armed (reconciler.remediation.dry-run=false) for "
                        + policy.allowed().stream().map(k -> k.label()).sorted().collect(Collectors.joining(", "))
                : "report mode (reconciler.remediation.dry-run is not false: nothing of the daemon's is changed)";
        return DoctorCheck.ok("configuration", "valid: database " + daemon.databaseDescription() + ", storage " + storage.describe()
                + ", " + mode + ", grace period " + config.gracePeriod() + ", min-age " + config.remediation().minAge());
    }

    private DoctorCheck stateLine(boolean armed) {
        StateStore.Mode mode = state.mode();
        if (mode == StateStore.Mode.PERSISTED) {
            return DoctorCheck.ok("state", "persisted in schema " + state.schema() + ": finding ages, run history, the breaker,"
                    + " the quarantine and the audit outlive this process and are shared by every replica");
        }
        String what = "in memory (" + state.reason() + "): finding ages and run history start again with every process, so a"
                + " finding is never old enough for a one-shot command to count it twice";
        String fix = "create our schema for this role (CREATE SCHEMA " + state.schema() + " AUTHORIZATION <this role>) or let it"
                + " create one (GRANT CREATE ON DATABASE); docs/state.md";
        return armed
                ? DoctorCheck.fail("state", what + "; armed, nothing can be quarantined or audited, so every repair is refused", fix)
                : DoctorCheck.ok("state", what + "; enough for report mode");
    }

    private DoctorCheck approvalLine(ApprovalSettings approval, boolean armed) {
        try {
            return RemediationControlChecks.approval(approval, armed, approvals.current());
        } catch (java.sql.SQLException e) {
            return DoctorCheck.fail(RemediationControlChecks.APPROVAL, "cannot read the published plans: " + DatabaseChecks.message(e),
                    "check that this role can read our schema (" + state.schema() + "); docs/state.md");
        }
    }

    private DoctorCheck leaderLine(boolean armed) {
        CommandLock.Probe probe = actorLock.probe();
        LeaderStatus s = probe.status();
        String name = "leader lock";
        String key = "advisory lock " + s.key();
        if (s.leader()) {
            return DoctorCheck.ok(name, probe.serviceElection()
                    ? key + " is held by this replica: it leads"
                    : key + " obtainable (taken and released at once)");
        }
        if ("following".equals(s.state())) {
            String holder = s.holder() == null ? "a session that just ended" : s.holder();
            return probe.serviceElection()
                    ? DoctorCheck.ok(name, key + " is held by " + holder + ": another replica leads, and acts when armed")
                    : DoctorCheck.warn(name, key + " is held by " + holder + ": an armed apply, restore, recover or purge here"
                            + " would be refused now",
                            "while an armed service leads, use its API, or scale it to 0 replicas"
                                    + " before running a command that writes");
        }
        if (s.state().startsWith("not taking part") || s.state().startsWith("not tried")) {
            return armed
                    ? DoctorCheck.warn(name, key + ": " + s.state(), "armed remediation needs the advisory lock: connect to"
                            + " PostgreSQL directly (DB_TYPE=postgresql), not through PgBouncer")
                    : DoctorCheck.ok(name, key + ": " + s.state() + " (report mode does not need it)");
        }
        return DoctorCheck.fail(name, key + ": " + s.state(), "check that this role may connect to the database (the lock uses"
                + " a connection of its own, outside the pool)");
    }

    private Optional<RedisSettings> redisSettings() {
        return RedisSettings.from(n -> settings.getOptionalValue(n, String.class));
    }

    /** The value of every secret-named setting the configuration has (environment, properties, files). */
    private Map<String, String> secrets() {
        Map<String, String> secrets = new HashMap<>(System.getenv());
        for (String name : settings.getPropertyNames()) {
            if (InvalidConfigurationServer.SECRET_NAME.matcher(name).matches()) {
                try {
                    settings.getOptionalValue(name, String.class).ifPresent(v -> secrets.put(name, v));
                } catch (RuntimeException e) {
                    // A value that cannot be read as text cannot be printed either.
                }
            }
        }
        return secrets;
    }

    /** A check running on a thread of its own, and what its failure is reported as. */
    private record Pending<T>(String name, CompletableFuture<T> future, Function<DoctorCheck, T> onFailure) {

        /** Its result, or a fail line named after it when it threw, or has not answered by {@code deadline}. */
        T await(Instant deadline) {
            try {
                return future.get(Math.max(0, Duration.between(Instant.now(), deadline).toMillis()), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                return onFailure.apply(DoctorCheck.fail(name, "no answer within " + CHECK_DEADLINE.toSeconds() + "s",
                        "check that " + name + " is reachable from this host"));
            } catch (ExecutionException e) {
                LOG.warnf(e.getCause(), "doctor: the %s check failed", name);
                return onFailure.apply(DoctorCheck.fail(name, "the check failed: " + DatabaseChecks.message(e.getCause()),
                        "see the log for the cause"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return onFailure.apply(DoctorCheck.fail(name, "interrupted", "run doctor again"));
            }
        }
    }

    /** Starts {@code check} on a daemon thread of its own (a hung dependency never keeps the process alive). */
    private static <T> Pending<T> start(String name, Supplier<T> check, Function<DoctorCheck, T> onFailure) {
        CompletableFuture<T> future = CompletableFuture.supplyAsync(check, command -> {
            Thread t = new Thread(command, "reconciler-doctor-" + name.replace(' ', '-'));
            t.setDaemon(true);
            t.start();
        });
        return new Pending<>(name, future, onFailure);
    }
}
