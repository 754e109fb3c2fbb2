package dify.reconciler.leader;

import dify.reconciler.config.ConfigurationCheck;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.DatabaseType;
import dify.reconciler.config.ProcessMode;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.config.UnpooledSessions;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * Runs this replica's {@link LeaderElector} in service mode: a first try at start-up, then one tick every
 * {@code min(reconciler.leader.retry-interval, reconciler.interval)} on a thread of its own, and a clean release
 * at shutdown so a rolling update hands over at the new pod's first tick. Leadership only says who may act
 * (remediation, a later issue); every replica scans and reports either way, and it changes no probe's status.
 *
 * <p>Who does not take part (the status says why): the one-shot commands ({@code scan} never takes the lock; the
 * commands that write hold it only while they run, through {@link CommandLock}, so no replica leads meanwhile),
 * and {@code DB_TYPE=pgbouncer}: in PgBouncer's transaction pooling a session-level
 * lock stays on a server connection that other clients are handed later, so two replicas could both "hold" it.
 *
 * <p>The lock connection is not taken from the pool: a connection held for the life of the process would
 * shrink the pool that scans and health checks share, the pool's flush after a failed scan or its lifetime
 * rules could close it (silently ending leadership), and a connection of our own carries its own
 * {@code application_name} and short timeouts. It uses the pool's URL, user, password and driver properties.
 */
@ApplicationScoped
public class LeaderElection {

    private static final Logger LOG = Logger.getLogger(LeaderElection.class);

    @Inject
    ReconcilerConfig reconciler;

    @Inject
    LeaderConfig config;

    @Inject
    ProcessMode role;

    @Inject
    DaemonSettings daemon;

    /**
     * Read in {@link #start}, after {@link DaemonSettings}: the datasource settings are built from {@code DB_HOST}
     * and friends, and an injected {@code @ConfigProperty} would fail start-up with "Failed to load config value
     * … quarkus.datasource.jdbc.url" before DaemonSettings names the missing variable.
     */
    @Inject
    Config settings;

    private volatile LeaderElector elector;
    private volatile LeaderStatus idle;
    private volatile boolean stopping;
    private ScheduledExecutorService ticks;

    /** This replica's view of leadership; never blocks (the readiness check and the gauge read it). */
    public LeaderStatus status() {
        LeaderElector e = elector;
        if (e != null) {
            return e.status();
        }
        LeaderStatus s = idle;
        return s != null ? s : LeaderStatus.notYet(key());
    }

    public boolean isLeader() {
        return status().leader();
    }

    /** Whether this process takes part in the election (the service, not through PgBouncer); false in one-shot commands. */
    public boolean active() {
        return elector != null;
    }

    /** The backend pid of our lock session while we lead (see {@link LeaderElector#lockBackendPid()}). */
    public OptionalInt lockBackendPid() {
        LeaderElector e = elector;
        return e == null ? OptionalInt.empty() : e.lockBackendPid();
    }

    /** The advisory lock key of this replica's state schema. */
    public long key() {
        return LeaderLockKey.of(reconciler.state().schema());
    }

    void start(@Observes StartupEvent event) {
        long key = key();
        Optional<String> reason = reasonNotToTakePart(role, daemon.dbType());
        if (reason.isPresent()) {
            idle = new LeaderStatus(false, key, null, "not taking part: " + reason.get());
            if (role.service()) {
                LOG.warnf("leader election off: %s. This instance will never lead.", reason.get());
            }
            return;
        }
        if (!isPositive(config.retryInterval()) || !isPositive(config.statementTimeout())) {
            throw new IllegalArgumentException("reconciler.leader.retry-interval and reconciler.leader.statement-timeout"
                    + " must be positive durations");
        }
        Duration period = tickPeriod(config.retryInterval(), reconciler.interval());
        elector = new LeaderElector(lockConnections("dify-plugin-reconciler leader " + hostName()), key, config.statementTimeout());
        ticks = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "reconciler-leader-election");
            t.setDaemon(true);
            return t;
        });
        LOG.infof("leader election: advisory lock %d (state schema %s), a try every %s", key, reconciler.state().schema(), period);
        ticks.scheduleWithFixedDelay(this::tick, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * New lock connections named {@code applicationName}: sessions outside the pool ({@link UnpooledSessions}) with the
     * lock connection's own timeouts ({@link LockConnectionSettings}). The one-shot commands' actor lock
     * ({@link CommandLock}) opens its connection here too.
     */
    LeaderElector.ConnectionSource lockConnections(String applicationName) {
        UnpooledSessions sessions = UnpooledSessions.of(settings, daemon);
        Map<String, String> own = LockConnectionSettings.own(applicationName, config.statementTimeout());
        return () -> sessions.open(own);
    }

    private void tick() {
        if (stopping) {
            return; // released for shutdown: a tick now would take the lock again
        }
        try {
            elector.tick();
        } catch (RuntimeException e) {
            // A task that throws would cancel every later tick: log it and keep electing.
            LOG.errorf(e, "leader election tick failed: %s", e.getMessage());
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (ticks == null) {
            return;
        }
        stopping = true;
        try {
            // On the election thread, after any tick in flight, so no tick runs on a released elector.
            ticks.submit(elector::release).get(config.statementTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // The process is ending: its connections close with it, and that releases the lock too.
            LOG.warnf(e, "could not release leadership cleanly; the lock goes when the process ends");
        } finally {
            ticks.shutdownNow();
        }
    }

    /** Why this process must not compete for the lock; empty when it should. */
    static Optional<String> reasonNotToTakePart(ProcessMode role, DatabaseType dbType) {
        if (role.oneShot()) {
            return Optional.of("a one-shot command never leads");
        }
        if (dbType == DatabaseType.PGBOUNCER) {
            return Optional.of("DB_TYPE=pgbouncer: a session-level advisory lock is not safe through PgBouncer's"
                    + " transaction pooling");
        }
        return Optional.empty();
    }

    /** The retry interval, but never longer than the scan interval: a dead leader is replaced within one interval. */
    static Duration tickPeriod(Duration retryInterval, String scanInterval) {
        Duration interval = ConfigurationCheck.intervalOrNull(scanInterval);
        return interval != null && interval.compareTo(retryInterval) < 0 ? interval : retryInterval;
    }

    private static boolean isPositive(Duration d) {
        return !d.isZero() && !d.isNegative();
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }
}
