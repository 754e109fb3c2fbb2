package dify.reconciler.remediate.acting;

import dify.reconciler.actor.ActingPermission;
import dify.reconciler.actor.ActorLock;
import dify.reconciler.approval.Suspension;
import dify.reconciler.approval.SuspensionStatus;
import dify.reconciler.remediate.guard.Breaker;
import dify.reconciler.remediate.guard.BreakerStatus;
import dify.reconciler.remediate.plan.RemediationPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.Semaphore;

/**
 * The one place that decides whether this process may change the daemon's data, evaluated once per command run or
 * service tick. In this order: work that needs the quarantine even to show it (restore, recover, purge) is refused
 * when state cannot be recorded; apply is refused while the breaker is tripped; then unarmed is a {@link Access.DryRun};
 * armed, apply and purge are refused while remediation is suspended ({@link Suspension});
 * armed, it needs recordable state, this process's one remediation permit (apply after a scan, API restores, the
 * daily purge and recovery never run at once in one process: a second caller is refused at once, not queued), the
 * actor lock for a command, and the permission to act (the service's leader, or the command holding the lock). The
 * result is {@link Acting}, which holds the permit and the lock until closed.
 */
@ApplicationScoped
public class AccessGate {

    /** The work asked for; {@code label} names it in messages, {@code unrecorded} says why state matters to it. */
    public enum Work {
        APPLY("apply", "armed remediation needs persisted state it can write (quarantine and audit live in our schema): %s",
                false),
        RESTORE("restore", "%s, so there is no quarantine to restore from", true),
        RECOVER("recover", "%s, so no action was recorded", true),
        PURGE("purge", "%s, so there is no quarantine to purge", true);

        private final String label;
        private final String unrecorded;
        private final boolean needsStateToShow;

        Work(String label, String unrecorded, boolean needsStateToShow) {
            this.label = label;
            this.unrecorded = unrecorded;
            this.needsStateToShow = needsStateToShow;
        }

        public String label() {
            return label;
        }
    }

    /** Who asks: a one-shot command takes the actor lock itself; the service acts under its leadership. */
    public enum Caller {
        COMMAND,
        SERVICE
    }

    /** What the gate reads, once per evaluation; {@code suspension} is read for apply and purge only (null otherwise). */
    record Inputs(RemediationPolicy policy, String whyNothingCanBeRecorded, BreakerStatus breaker, SuspensionStatus suspension) {

        Inputs(RemediationPolicy policy, String whyNothingCanBeRecorded, BreakerStatus breaker) {
            this(policy, whyNothingCanBeRecorded, breaker, null);
        }
    }

    public static final String BUSY = "another remediation is running in this process (apply, restore, recover and purge take"
            + " turns); try again when it has ended";

    static final String NOT_LEADER = "this instance may not act now (not the leader)";

    /** One remediation at a time in this process. */
    private final Semaphore permit = new Semaphore(1);

    @Inject
    GateReadings remediation;

    @Inject
    Breaker breaker;

    @Inject
    ActorLock actorLock;

    @Inject
    Suspension suspension;

    @Inject
    ActingPermission permission;

    /** Decides for {@code work}; an {@link Acting} result must be closed (try-with-resources). */
    public Access open(Work work, Caller caller) {
        Inputs in = new Inputs(remediation.policy(), remediation.whyNothingCanBeRecorded(),
                work == Work.APPLY ? breaker.status() : null, suspends(work) ? suspension.status() : null);
        return decide(work, caller, in, permit, actorLock, permission);
    }

    /** The decision alone, on given inputs (the unit test drives every combination through here). */
    static Access decide(Work work, Caller caller, Inputs in, Semaphore permit, ActorLock lock, ActingPermission permission) {
        String unrecorded = in.whyNothingCanBeRecorded() == null ? null : String.format(work.unrecorded, in.whyNothingCanBeRecorded());
        if (work.needsStateToShow && unrecorded != null) {
            return new Access.Refused(Access.Reason.STATE, unrecorded);
        }
        if (work == Work.APPLY && in.breaker() != null && in.breaker().tripped()) {
            return new Access.Refused(Access.Reason.BREAKER, "the remediation breaker is " + in.breaker().describe());
        }
        if (!in.policy().armed()) {
            return new Access.DryRun();
        }
        if (suspends(work) && in.suspension() != null && in.suspension().suspended()) {
            return new Access.Refused(Access.Reason.SUSPENDED, in.suspension().describe());
        }
        if (unrecorded != null) {
            return new Access.Refused(Access.Reason.STATE, unrecorded);
        }
        if (!permit.tryAcquire()) {
            return new Access.Refused(Access.Reason.BUSY, BUSY);
        }
        ActorLock.Hold hold = ActorLock.Hold.NONE;
        try {
            if (caller == Caller.COMMAND) {
                hold = lock.acquire(work.label);
            }
            if (!permission.mayAct()) {
                release(hold, permit);
                return new Access.Refused(Access.Reason.NOT_LEADER, NOT_LEADER);
            }
        } catch (ActorLock.Refused e) {
            release(hold, permit);
            return new Access.Refused(Access.Reason.LOCK, e.getMessage());
        } catch (RuntimeException e) {
            release(hold, permit);
            throw e;
        }
        ActorLock.Hold held = hold;
        return new Acting(in.policy(), () -> release(held, permit));
    }

    /** A suspension stops what changes the daemon's data or deletes our copies; restore and recover are the way back. */
    static boolean suspends(Work work) {
        return work == Work.APPLY || work == Work.PURGE;
    }

    private static void release(ActorLock.Hold hold, Semaphore permit) {
        try {
            hold.close();
        } finally {
            permit.release();
        }
    }
}
