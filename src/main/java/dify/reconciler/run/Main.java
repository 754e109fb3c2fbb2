package dify.reconciler.run;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import jakarta.inject.Inject;
import java.util.Arrays;

/**
 * Entry point. Without arguments the jar runs as a service (scheduled scans, HTTP API, metrics, health).
 * With {@code scan} it runs one scan and exits 0 (clean), 1 (drift at or above {@code reconciler.fail-on})
 * or 2 (the scan failed, including a configuration that does not start).
 */
@QuarkusMain
public class Main implements QuarkusApplication {

    @Inject
    ScanCommand scanCommand;

    public static void main(String... args) {
        boolean oneShot = args.length > 0 && "scan".equals(args[0]);
        if (oneShot) {
            // A one-shot scan must not open the service port (it may run beside the service in the same pod),
            // must not run scheduled scans, and keeps stdout for the report.
            System.setProperty("quarkus.http.host-enabled", "false");
            System.setProperty("quarkus.scheduler.enabled", "false");
            System.setProperty("quarkus.log.console.stderr", "true");
            System.setProperty("reconciler.mode", "scan");
        }
        Quarkus.run(Main.class, (exitCode, failure) -> {
            if (failure != null && oneShot) {
                // Startup failed: bad or missing configuration. Quarkus has logged the cause; the exit code says "failed".
                System.err.println("scan failed before it started: " + rootMessage(failure));
                System.exit(ScanCommand.EXIT_FAILED);
            }
            System.exit(exitCode);
        }, args);
    }

    @Override
    public int run(String... args) {
        if (args.length > 0 && "scan".equals(args[0])) {
            return scanCommand.run(Arrays.copyOfRange(args, 1, args.length));
        }
        if (args.length > 0) {
            System.err.println("unknown command '" + args[0] + "'; usage: [scan [--output FILE] [--format json|text]"
                    + " [--fail-on info|warning|critical]] (no command runs the service)");
            return ScanCommand.EXIT_FAILED;
        }
        Quarkus.waitForExit();
        return 0;
    }

    static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
