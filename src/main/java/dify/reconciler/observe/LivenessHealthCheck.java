package dify.reconciler.observe;

import dify.reconciler.run.ScanRunner;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * {@code /q/health/live}: UP while the process answers HTTP. It deliberately looks at neither PostgreSQL nor
 * the bucket: restarting the reconciler does not repair them, and a restart loop would only hide the
 * failed-scan metrics. A database or bucket outage shows in readiness data, the report and the alerts.
 */
@Liveness
@ApplicationScoped
public class LivenessHealthCheck implements HealthCheck {

    @Inject
    ScanRunner runner;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("dify-plugin-reconciler").up().withData("scanning", runner.isScanning()).build();
    }
}
