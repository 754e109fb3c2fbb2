package dify.reconciler.observe;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Health checks ({@code reconciler.health.*}, {@code RECONCILER_HEALTH_…}). */
@ConfigMapping(prefix = "reconciler.health")
public interface HealthConfig {

    /**
     * Whether an unreachable database or bucket makes readiness DOWN. Off by default: in the sidecar layout
     * (k8s/sidecar/) a not-ready container makes the whole plugin daemon pod not-ready and cuts Dify's traffic
     * to the daemon, and the reconciler serves no user traffic whose routing readiness would protect. The
     * outage is reported in the readiness data and by the failed-scan metrics and alerts instead. Turn it on
     * for a standalone Deployment if you want {@code kubectl get pods} to show it.
     */
    @WithDefault("false")
    boolean readinessRequiresDependencies();

    /** How long one dependency check ({@code SELECT 1}, listing one key) may take before it counts as unreachable. */
    @WithDefault("3s")
    Duration checkTimeout();
}
