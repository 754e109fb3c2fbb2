package dify.reconciler.testsupport;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.leader.LeaderElection;

/** In-process service tests that need this instance to be the leader (the election takes its first try on a thread). */
public final class Leadership {

    private Leadership() {
    }

    /** Waits until this instance leads; fails after 20 s with the election's status. */
    public static void await(LeaderElection election) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!election.isLeader()) {
            assertTrue(System.nanoTime() < deadline, "this instance did not lead: " + election.status());
            Thread.sleep(100);
        }
    }
}
