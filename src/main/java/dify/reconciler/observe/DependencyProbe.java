package dify.reconciler.observe;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One cheap reachability check (database or bucket) run with a deadline. A check that hangs (a dropped
 * network path) is not started again while it is still running: later probes wait on the same attempt, so a
 * dead dependency costs at most one blocked thread, not one per probe.
 */
final class DependencyProbe {

    /** The check; throws when the dependency is not reachable. */
    interface Check {
        void run() throws Exception;
    }

    /** Outcome: reachable, or why not. */
    record Outcome(boolean reachable, String detail) {
    }

    private final Check check;
    private final Executor executor;
    private final AtomicReference<CompletableFuture<Void>> inFlight = new AtomicReference<>();

    DependencyProbe(Check check, Executor executor) {
        this.check = check;
        this.executor = executor;
    }

    Outcome probe(Duration timeout) {
        CompletableFuture<Void> attempt = inFlight.updateAndGet(current -> current != null && !current.isDone()
                ? current
                : CompletableFuture.runAsync(() -> {
                    try {
                        check.run();
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                }, executor));
        try {
            attempt.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new Outcome(true, "reachable");
        } catch (TimeoutException e) {
            return new Outcome(false, "no answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null
                    ? c.getCause()
                    : e.getCause();
            return new Outcome(false, cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(false, "interrupted");
        }
    }
}
