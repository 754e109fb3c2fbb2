package dify.reconciler.remediate.acting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.actor.ActorLock;
import dify.reconciler.approval.SuspensionStatus;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.remediate.guard.BreakerEvent;
import dify.reconciler.remediate.guard.BreakerStatus;
import dify.reconciler.remediate.plan.RemediationPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Test;

/**
 * The one access gate ({@link AccessGate#decide}) over every combination of its inputs: work, caller, armed, state
 * recordable, breaker, actor lock free or someone else's, leader or not, the process's permit free or taken. Each
 * combination gets exactly one outcome with its user-facing reason, a refusal holds nothing afterwards, and an acting
 * token holds the lock and the permit until closed. Pure logic: the lock and the permission are fakes here (the
 * real ones are proven by OneActorCommandTest, OneActorIT and ServiceRemediationTest).
 */
class AccessGateTest {

    private static final String IN_MEMORY = "state is in memory (no write privilege)";
    private static final String HELD_BY_OTHER = "another reconciler is acting: advisory lock 7 is held by pid 42";
    private static final BreakerStatus TRIPPED = BreakerStatus.of(List.of(new BreakerEvent(1, Instant.parse("2026-12-01T00:00:00Z"),
            "cap", "too many", "p", "r", "host", null, null, null)), "persisted");
    private static final BreakerStatus CLOSED = BreakerStatus.of(List.of(), "persisted");

    /** A lock that is free or someone else's, counting what it handed out and got back. */
    private static final class FakeLock implements ActorLock {
        final boolean free;
        final List<String> acquired = new ArrayList<>();
        int released;

        FakeLock(boolean free) {
            this.free = free;
        }

        @Override
        public Hold acquire(String command) throws Refused {
            if (!free) {
                throw new Refused(HELD_BY_OTHER);
            }
            acquired.add(command);
            return () -> released++;
        }
    }

    private static RemediationPolicy policy(boolean armed) {
        return new RemediationPolicy(armed, Set.of(FindingKind.REFERS_TOO_LOW, FindingKind.DUPLICATE_ROWS), 1, Duration.ZERO,
                Duration.ZERO, 10, 1.0, Duration.ofHours(1));
    }

    /** The outcome each combination must get, in the documented order of the checks. */
    private static String expected(AccessGate.Work work, AccessGate.Caller caller, boolean armed, boolean recordable,
            boolean tripped, boolean lockFree, boolean leader, boolean permitFree) {
        boolean needsState = work != AccessGate.Work.APPLY;
        if (needsState && !recordable) {
            return "refused STATE";
        }
        if (work == AccessGate.Work.APPLY && tripped) {
            return "refused BREAKER";
        }
        if (!armed) {
            return "dry run";
        }
        if (!recordable) {
            return "refused STATE";
        }
        if (!permitFree) {
            return "refused BUSY";
        }
        if (caller == AccessGate.Caller.COMMAND && !lockFree) {
            return "refused LOCK";
        }
        if (!leader) {
            return "refused NOT_LEADER";
        }
        return "acting";
    }

    private static String describe(Access a) {
        if (a instanceof Access.Refused r) {
            return "refused " + r.reason();
        }
        return a instanceof Acting ? "acting" : "dry run";
    }

    @Test
    void everyCombinationHasExactlyTheDocumentedOutcomeAndARefusalHoldsNothing() {
        int combinations = 0;
        int acting = 0;
        for (AccessGate.Work work : AccessGate.Work.values()) {
            for (AccessGate.Caller caller : AccessGate.Caller.values()) {
                for (int bits = 0; bits < 64; bits++) {
                    boolean armed = (bits & 1) != 0;
                    boolean recordable = (bits & 2) != 0;
                    boolean tripped = (bits & 4) != 0;
                    boolean lockFree = (bits & 8) != 0;
                    boolean leader = (bits & 16) != 0;
                    boolean permitFree = (bits & 32) != 0;
                    String what = work + " " + caller + " armed=" + armed + " recordable=" + recordable + " tripped=" + tripped
                            + " lockFree=" + lockFree + " leader=" + leader + " permitFree=" + permitFree;
                    Semaphore permit = new Semaphore(1);
                    if (!permitFree) {
                        permit.acquireUninterruptibly(); // another remediation of this process holds it
                    }
                    FakeLock lock = new FakeLock(lockFree);
                    AccessGate.Inputs in = new AccessGate.Inputs(policy(armed), recordable ? null : IN_MEMORY,
                            work == AccessGate.Work.APPLY ? (tripped ? TRIPPED : CLOSED) : null);
                    Access access = AccessGate.decide(work, caller, in, permit, lock, () -> leader);

                    assertEquals(expected(work, caller, armed, recordable, tripped, lockFree, leader, permitFree), describe(access),
                            what);
                    if (caller == AccessGate.Caller.SERVICE) {
                        assertEquals(List.of(), lock.acquired, "a service acts under its leadership, never the command lock: " + what);
                    } else if (access instanceof Acting) {
                        assertEquals(List.of(work.label()), lock.acquired, "an acting command holds the lock, named: " + what);
                    }
                    if (access instanceof Acting token) {
                        acting++;
                        assertEquals(0, permit.availablePermits(), "acting holds the permit: " + what);
                        assertEquals(0, lock.released, "acting holds the lock: " + what);
                        token.close();
                        token.close(); // twice: released once
                        assertEquals(1, permit.availablePermits(), "closed: the permit is free again: " + what);
                        assertEquals(lock.acquired.size(), lock.released, "closed: the lock is released: " + what);
                    } else {
                        assertEquals(permitFree ? 1 : 0, permit.availablePermits(), "a refusal or a dry run keeps no permit: " + what);
                        assertEquals(lock.acquired.size(), lock.released, "a refusal or a dry run keeps no lock: " + what);
                    }
                    combinations++;
                }
            }
        }
        assertEquals(4 * 2 * 64, combinations);
        // Armed, recordable, leading, permit free: then the command's lock must be free (a service's may be anything)
        // and apply's breaker closed (the others ignore it). Apply: 1 + 2; each of the three others: 2 + 4.
        assertEquals(3 + 3 * 6, acting, "acting exactly in the combinations the gate allows");
    }

    @Test
    void theReasonsReadAsTheCommandsAndTheApiAlwaysSaidThem() {
        Semaphore permit = new Semaphore(1);
        AccessGate.Inputs armedInMemory = new AccessGate.Inputs(policy(true), IN_MEMORY, CLOSED);
        assertEquals(new Access.Refused(Access.Reason.STATE,
                "armed remediation needs persisted state it can write (quarantine and audit live in our schema): " + IN_MEMORY),
                AccessGate.decide(AccessGate.Work.APPLY, AccessGate.Caller.COMMAND, armedInMemory, permit, new FakeLock(true),
                        () -> true));
        assertEquals(new Access.Refused(Access.Reason.STATE, IN_MEMORY + ", so there is no quarantine to restore from"),
                AccessGate.decide(AccessGate.Work.RESTORE, AccessGate.Caller.COMMAND, armedInMemory, permit, new FakeLock(true),
                        () -> true));
        assertEquals(new Access.Refused(Access.Reason.STATE, IN_MEMORY + ", so no action was recorded"),
                AccessGate.decide(AccessGate.Work.RECOVER, AccessGate.Caller.COMMAND, armedInMemory, permit, new FakeLock(true),
                        () -> true));
        assertEquals(new Access.Refused(Access.Reason.STATE, IN_MEMORY + ", so there is no quarantine to purge"),
                AccessGate.decide(AccessGate.Work.PURGE, AccessGate.Caller.COMMAND, armedInMemory, permit, new FakeLock(true),
                        () -> true));
        AccessGate.Inputs armed = new AccessGate.Inputs(policy(true), null, TRIPPED);
        Access breaker = AccessGate.decide(AccessGate.Work.APPLY, AccessGate.Caller.COMMAND, armed, permit, new FakeLock(true),
                () -> true);
        assertEquals(new Access.Refused(Access.Reason.BREAKER, "the remediation breaker is " + TRIPPED.describe()), breaker);
        assertEquals(new Access.Refused(Access.Reason.LOCK, HELD_BY_OTHER), AccessGate.decide(AccessGate.Work.PURGE,
                AccessGate.Caller.COMMAND, armed, permit, new FakeLock(false), () -> true), "the lock's own words, holder named");
        Access follower = AccessGate.decide(AccessGate.Work.RESTORE, AccessGate.Caller.SERVICE, armed, permit, new FakeLock(true),
                () -> false);
        assertEquals(new Access.Refused(Access.Reason.NOT_LEADER, "this instance may not act now (not the leader)"), follower);
        assertEquals(1, permit.availablePermits(), "no refusal kept the permit");
    }

    @Test
    void aSuspensionRefusesApplyAndPurgeArmedAndLetsRestoreAndRecoverThrough() {
        SuspensionStatus suspended = new SuspensionStatus(true, "daemon upgrade", "ops", Instant.parse("2026-12-07T05:00:00Z"),
                "persisted");
        Semaphore permit = new Semaphore(1);
        for (AccessGate.Work work : AccessGate.Work.values()) {
            AccessGate.Inputs in = new AccessGate.Inputs(policy(true), null, CLOSED, AccessGate.suspends(work) ? suspended : null);
            Access access = AccessGate.decide(work, AccessGate.Caller.SERVICE, in, permit, new FakeLock(true), () -> true);
            if (work == AccessGate.Work.APPLY || work == AccessGate.Work.PURGE) {
                assertEquals(new Access.Refused(Access.Reason.SUSPENDED, suspended.describe()), access, work.label());
            } else {
                assertInstanceOf(Acting.class, access, work.label()).close();
            }
        }
        AccessGate.Inputs unarmed = new AccessGate.Inputs(policy(false), null, CLOSED, suspended);
        assertInstanceOf(Access.DryRun.class, AccessGate.decide(AccessGate.Work.APPLY, AccessGate.Caller.SERVICE, unarmed, permit,
                new FakeLock(true), () -> true), "unarmed, a suspension changes nothing: a dry run");
        assertEquals(1, permit.availablePermits(), "no refusal kept the permit");
    }

    @Test
    void oneRemediationAtATimeInAProcessAndTheTokenAllowsOnlyListedKindsWithARemedy() {
        Semaphore permit = new Semaphore(1);
        AccessGate.Inputs armed = new AccessGate.Inputs(policy(true), null, CLOSED);
        Access first = AccessGate.decide(AccessGate.Work.APPLY, AccessGate.Caller.SERVICE, armed, permit, new FakeLock(true),
                () -> true);
        Acting token = assertInstanceOf(Acting.class, first);
        for (AccessGate.Work other : AccessGate.Work.values()) {
            assertEquals(new Access.Refused(Access.Reason.BUSY, AccessGate.BUSY),
                    AccessGate.decide(other, AccessGate.Caller.SERVICE, armed, permit, new FakeLock(true), () -> true),
                    other + " while an apply acts");
        }
        assertTrue(token.allows(FindingKind.REFERS_TOO_LOW), "listed, with a remedy");
        assertFalse(token.allows(FindingKind.ENDPOINT_ORPHANED), "not listed in reconciler.remediation.kinds");
        assertFalse(token.allows(FindingKind.DUPLICATE_ROWS), "listed, but report-only (no remedy)");
        token.close();
        try (Acting second = assertInstanceOf(Acting.class, AccessGate.decide(AccessGate.Work.RESTORE, AccessGate.Caller.SERVICE,
                armed, permit, new FakeLock(true), () -> true))) {
            assertTrue(second.allows(FindingKind.REFERS_TOO_LOW), "after the first closed, the next one acts");
        }
    }
}
