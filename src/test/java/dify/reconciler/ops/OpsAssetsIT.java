package dify.reconciler.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code scripts/check-ops-assets.sh} against the metric names the service really exports (written by
 * {@code ObservabilityTest} during {@code test}, before this runs in {@code integration-test}): the alert
 * rules and the dashboard may only name exported metrics, the rules must pass their promtool tests, and every
 * runbook link must resolve, the manifests must build, and the sidecar must leave both Dify charts' daemon
 * Deployments working (named ports, settings sources, default container, the Helm post-renderer). Fails, never
 * skips, when promtool or kubectl is missing: CI installs them ({@code .ci/run}).
 *
 * <p>The runbook file is the system property {@code ops.runbook} (pom.xml), {@code docs/runbook.md}; the runbook URL the
 * alerts link is {@code k8s/base/runbook-url.yaml}'s.
 */
class OpsAssetsIT {

    @Test
    void alertRulesDashboardAndRunbookMatchWhatTheServiceExports() throws IOException, InterruptedException {
        if (!onPath("promtool")) {
            fail("promtool not found: the alert-rule checks need it. Install it with `apt-get install prometheus`"
                    + " (Debian/Ubuntu; .ci/run does this in CI).");
        }
        if (!onPath("kubectl")) {
            fail("kubectl not found: the kustomize, sidecar-patch and Helm post-renderer checks need it. Install it with"
                    + " `apt-get install kubectl` (or kubernetes-client; .ci/run does this in CI).");
        }
        Path names = Path.of("target", "exported-metric-names.txt");
        assertTrue(Files.isReadable(names), names + " is missing: it is written by ObservabilityTest (run `./mvnw verify`,"
                + " not only the integration tests)");
        String runbook = System.getProperty("ops.runbook", "docs/runbook.md");
        Path log = Path.of("target", "check-ops-assets.log");
        Process p = new ProcessBuilder("bash", "scripts/check-ops-assets.sh", names.toString(), runbook)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("scripts/check-ops-assets.sh did not finish within 5 minutes; output so far in " + log);
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        System.out.println(output);
        assertEquals(0, p.exitValue(), "scripts/check-ops-assets.sh failed (output above, also in " + log + ")");
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
