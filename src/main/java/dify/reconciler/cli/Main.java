package dify.reconciler.cli;

import dify.reconciler.config.ProcessMode;
import dify.reconciler.observe.InvalidConfigurationServer;
import dify.reconciler.remediate.write.StepHook;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import jakarta.inject.Inject;
import java.io.IOException;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Entry point. Without arguments the jar runs as a service (scheduled scans, HTTP API, metrics, health).
 * With arguments it runs one command and exits ({@link Cli}: one class per verb): {@code scan} exits 0 (clean), 1
 * (drift at or above {@code reconciler.fail-on}) or 2 (the scan failed, including a configuration that does not
 * start); {@code plan}, {@code apply}, {@code restore}, {@code recover}, {@code purge} and {@code quarantine list}
 * are the remediation commands, {@code breaker} shows or acknowledges the remediation breaker, {@code doctor} checks every precondition. A wrong command line
 * or {@code --help} is answered before anything starts.
 *
 * <p>A service whose configuration does not start exits non-zero, unless it is a sidecar
 * ({@code reconciler.sidecar=true}): then it keeps running and serves {@link InvalidConfigurationServer}, so
 * the plugin daemon's pod stays ready.
 */
@QuarkusMain
public class Main implements QuarkusApplication {

    private static final Logger LOG = Logger.getLogger(Main.class);

    @Inject
    CommandRunner commands;

    public static void main(String... args) {
        // Before anything starts: a test-only setting in a production process (e.g. through a Deployment's
        // JAVA_TOOL_OPTIONS) is a mistake to stop at, loudly, in every mode (service, sidecar, one-shot).
        String refusal = StepHook.refusal(System.getProperties(), System.getenv(), List.of());
        if (refusal != null) {
            System.err.println("dify-plugin-reconciler refuses to start: " + refusal);
            System.exit(ExitCode.FAILED);
        }
        // The one decision "this process is a one-shot command": every bean reads it as ProcessMode and starts no
        // service-only work (restore threads, leader election, management port) in a command. A command line that
        // names no command, or a wrong one, or asks for --help, is answered here, before anything starts.
        ProcessMode mode = args.length == 0 ? ProcessMode.SERVICE : ProcessMode.ONE_SHOT;
        if (mode.oneShot()) {
            int answered = Cli.check(args, System.out, System.err);
            if (answered != Cli.RUN) {
                System.exit(answered);
            }
            // A one-shot command must not open the service port (it may run beside the service in the same pod),
            // must not run scheduled scans, and keeps stdout for the report.
            System.setProperty("quarkus.http.host-enabled", "false");
            System.setProperty("quarkus.scheduler.enabled", "false");
            System.setProperty("quarkus.log.console.stderr", "true");
            System.setProperty("reconciler.mode", mode.setting());
        }
        // Read before start-up, because it decides what happens when start-up fails. Only the launcher reads the
        // environment; the service reads the same setting through ReconcilerConfig.sidecar().
        boolean sidecar = mode.service()
                && Boolean.parseBoolean(setting("reconciler.sidecar", "RECONCILER_SIDECAR", "false"));
        Quarkus.run(Main.class, (exitCode, failure) -> {
            if (failure != null && mode.oneShot()) {
                // Startup failed: bad or missing configuration. The exit code says "failed".
                if ("doctor".equals(args[0])) {
                    System.out.print(DoctorCommand.startupFailure(args, startupError(failure)));
                    System.out.flush();
                }
                System.err.println(args[0] + " failed before it started: " + startupError(failure));
                System.exit(ExitCode.FAILED);
            }
            if (failure != null && sidecar && serveInvalidConfiguration(failure)) {
                return; // the server's non-daemon thread keeps the process alive until SIGTERM
            }
            if (failure != null) {
                // A standalone service fails fast, and says why (Quarkus does not log it when an exit handler is given).
                System.err.println("dify-plugin-reconciler did not start: " + startupError(failure));
                System.exit(ExitCode.FAILED);
            }
            System.exit(exitCode);
        }, args);
    }

    /** Starts {@link InvalidConfigurationServer} on the service's port; false if even that fails. */
    private static boolean serveInvalidConfiguration(Throwable failure) {
        String reason = startupError(failure);
        int port;
        try {
            port = Integer.parseInt(setting("quarkus.http.port", "QUARKUS_HTTP_PORT", setting("port", "PORT", "8080")).trim());
        } catch (NumberFormatException e) {
            LOG.error("sidecar: the configuration is invalid and the HTTP port is not a number either; exiting", e);
            return false;
        }
        try {
            InvalidConfigurationServer server = InvalidConfigurationServer.start(port, reason);
            Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "invalid-configuration-server-stop"));
            LOG.errorf("sidecar: the configuration is invalid, so no scan will run: %s. Fix the setting and restart the"
                    + " pod. Until then the probes on port %d answer UP so the plugin daemon's pod stays ready, and"
                    + " /q/metrics reports plugin_reconciler_configuration_valid 0.", reason, server.port());
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.errorf(e, "sidecar: the configuration is invalid (%s) and port %d cannot be served; exiting", reason, port);
            return false;
        }
    }

    /** A system property, else an environment variable, else the default. */
    private static String setting(String property, String variable, String defaultValue) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(variable);
        }
        return value == null || value.isBlank() ? defaultValue : value;
    }

    @Override
    public int run(String... args) {
        if (args.length > 0) {
            return commands.run(args);
        }
        Quarkus.waitForExit();
        return 0;
    }

    /** Why start-up failed, without the value of any secret-named variable. */
    private static String startupError(Throwable failure) {
        return InvalidConfigurationServer.redact(rootMessage(failure), System.getenv());
    }

    static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
