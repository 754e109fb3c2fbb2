package dify.reconciler.leader;

import dify.reconciler.actor.ActorLock;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.DatabaseType;
import dify.reconciler.config.ProcessMode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One actor, one-shot commands included: a command that writes ({@code apply}, {@code restore}, {@code recover}
 * and {@code purge}, armed) takes the leader's advisory lock ({@link LeaderLockKey}) for as long as it runs, so
 * it never acts beside an armed service's leader or another command, and no replica leads while it holds the
 * lock. Taken like the leader takes it: {@code pg_try_advisory_lock} (never waiting) on a connection of its own
 * with the lock connection's settings ({@link LeaderElection#lockConnections}), {@code application_name}
 * {@code dify-plugin-reconciler <command> <host>}, so a service's readiness data names the command as holder.
 * While held, {@link LeaderPermission} fences every write transaction with this session's pid, as it does the
 * leader's.
 *
 * <p>In a service process (tests call the commands there) the election already decides: a leader acts under
 * its own lock, anyone else is refused. Through PgBouncer's transaction pooling a session lock would stay on a
 * pooled server connection, so a command there refuses to write rather than act unguarded.
 */
@ApplicationScoped
public class CommandLock implements ActorLock {

    @Inject
    LeaderElection election;

    @Inject
    LeaderConfig config;

    @Inject
    ProcessMode role;

    @Inject
    DaemonSettings daemon;

    private volatile LeaderElector held;

    /**
     * Takes the actor lock for {@code command}, at once or not at all.
     *
     * @throws Refused when another reconciler holds it (the message names its session), or it cannot be taken
     */
    @Override
    public synchronized Hold acquire(String command) throws Refused {
        if (election.active()) {
            if (!election.isLeader()) {
                throw new Refused("this instance does not lead (" + election.status().state() + ")" + holder(election.status()));
            }
            return Hold.NONE; // the service's leader acts under the election's lock
        }
        Optional<String> notHere = whyNoLockHere(role, daemon.dbType());
        if (notHere.isPresent()) {
            throw new Refused(notHere.get());
        }
        if (held != null) {
            throw new IllegalStateException("the actor lock is already held by this process");
        }
        LeaderElector elector = new LeaderElector(
                election.lockConnections("dify-plugin-reconciler " + command + " " + LeaderElection.hostName()), election.key(),
                config.statementTimeout());
        LeaderStatus status = elector.tick();
        if (!status.leader()) {
            elector.release();
            throw new Refused(refusal(status));
        }
        held = elector;
        return () -> release(elector);
    }

    /**
     * What {@code doctor} asks: could this process take the actor lock now? In the service, the election's view (never a
     * second attempt beside it). Elsewhere one {@code pg_try_advisory_lock}, released at once when it succeeded (a
     * replica's tick or a command that meets it in those milliseconds tries again, or is refused as for any other holder).
     *
     * @param serviceElection true when {@code status} is the running election's, false for a try of our own
     */
    public record Probe(boolean serviceElection, LeaderStatus status) {
    }

    public synchronized Probe probe() {
        if (election.active()) {
            return new Probe(true, election.status());
        }
        Optional<String> notHere = whyNoLockHere(role, daemon.dbType());
        if (notHere.isPresent()) {
            return new Probe(false, new LeaderStatus(false, election.key(), null, "not taking part: " + notHere.get()));
        }
        if (held != null) {
            return new Probe(false, held.status());
        }
        LeaderElector elector = new LeaderElector(
                election.lockConnections("dify-plugin-reconciler doctor " + LeaderElection.hostName()), election.key(),
                config.statementTimeout());
        try {
            return new Probe(false, elector.tick());
        } finally {
            elector.release();
        }
    }

    /** Whether this process holds the actor lock for a command now. */
    public boolean held() {
        return held != null;
    }

    /** The backend pid of the command's lock session while it holds the lock: what the write fence looks for. */
    public OptionalInt lockBackendPid() {
        LeaderElector e = held;
        return e == null ? OptionalInt.empty() : e.lockBackendPid();
    }

    private synchronized void release(LeaderElector elector) {
        if (held == elector) {
            held = null;
            elector.release();
        }
    }

    /** Why a process outside the election must not take the lock at all; empty for a one-shot command that may. */
    static Optional<String> whyNoLockHere(ProcessMode role, DatabaseType dbType) {
        if (role.service()) {
            return Optional.of("a service outside the leader election never acts");
        }
        if (dbType == DatabaseType.PGBOUNCER) {
            return Optional.of("DB_TYPE=pgbouncer: the actor lock is a session-level advisory lock, which PgBouncer's"
                    + " transaction pooling would leave on a pooled server connection; run the command against PostgreSQL"
                    + " directly (DB_TYPE=postgresql, DB_HOST/DB_PORT of the server)");
        }
        return Optional.empty();
    }

    /** Why the lock was not ours: someone else's (named), or the database could not be asked. */
    static String refusal(LeaderStatus status) {
        if (!"following".equals(status.state())) {
            return "cannot take the actor lock (advisory lock " + status.key() + "): " + status.state();
        }
        return "another reconciler is acting: advisory lock " + status.key() + " is held by "
                + (status.holder() == null ? "a session that just ended (try again)" : status.holder())
                + ". Only one reconciler may change the daemon's data at a time. While an armed service leads, use its"
                + " API (POST /api/v1/restore; it applies after each scan and purges daily) or scale it to 0 replicas and"
                + " run the command again; if another command holds it, wait for it to end";
    }

    private static String holder(LeaderStatus status) {
        return status.holder() == null ? "" : "; the lock is held by " + status.holder();
    }
}
