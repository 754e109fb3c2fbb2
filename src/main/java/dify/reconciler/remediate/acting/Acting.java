package dify.reconciler.remediate.acting;

import dify.reconciler.actor.WriteFence;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.planner.Remedies;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The right to change the daemon's data, for one command run or one service tick: only the {@link AccessGate} makes one
 * (the constructor is package-private), after it found the process armed, its state recordable, the actor lock or the
 * leadership held and this process's one remediation permit free. The appliers, restore, purge and recovery take it as
 * a parameter, so a write path cannot be reached without it, and none of them reads the armed flag. While it is open
 * this process holds the permit and (a one-shot command) the actor lock; every write transaction is still fenced on
 * that lock ({@link WriteFence}). Closing it releases both, once.
 */
public final class Acting implements Access.Proceed, AutoCloseable {

    private final RemediationPolicy policy;
    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    Acting(RemediationPolicy policy, Runnable release) {
        this.policy = policy;
        this.release = release;
    }

    /** Whether this run may act on {@code kind}: listed in {@code reconciler.remediation.kinds} and one we have a remedy for. */
    public boolean allows(FindingKind kind) {
        return policy.allowed().contains(kind) && Remedies.of(kind).isPresent();
    }

    /** The policy the gate found (caps, ages, retention). */
    public RemediationPolicy policy() {
        return policy;
    }

    /**
     * The same right for work the gate already allowed that must act on {@code kind} whatever the kinds now list
     * (completing the object step of an action applied before); closing it releases nothing.
     */
    public Acting completing(FindingKind kind) {
        RemediationPolicy p = new RemediationPolicy(true, java.util.Set.of(kind), policy.confirmations(), policy.minAge(),
                policy.minAgeInfo(), policy.maxActionsPerRun(), policy.maxShare(), policy.planTtl());
        return new Acting(p, () -> {});
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            release.run();
        }
    }
}
