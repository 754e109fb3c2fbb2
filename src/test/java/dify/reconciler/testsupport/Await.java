package dify.reconciler.testsupport;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Polls a condition of a running process (a service scanning on its own schedule) until it holds. */
public final class Await {

    private Await() {
    }

    /** Fails with "no {@code what} within {@code limit}" when {@code condition} is still false then. */
    public static void until(String what, Duration limit, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                fail("no " + what + " within " + limit);
            }
            Thread.sleep(200);
        }
    }
}
