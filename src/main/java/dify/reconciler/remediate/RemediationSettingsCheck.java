package dify.reconciler.remediate;

import dify.reconciler.approval.ApprovalSettings;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.record.QuarantinePrefix;
import dify.reconciler.remediate.write.StepHook;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Validates every remediation setting at start-up, in every mode (like {@code ConfigurationCheck} does for the rest,
 * and here so that {@code config} does not depend on remediation): a wrong kind, cap or age, or an unsafe quarantine
 * prefix, stops the process with a message naming the setting, armed or not, instead of failing each plan later.
 */
@Startup
@ApplicationScoped
public class RemediationSettingsCheck {

    @Inject
    DaemonSettings daemon;

    @Inject
    ReconcilerConfig config;

    @PostConstruct
    void check() {
        // Main refuses system properties and variables; this also catches a config file (e.g. config/application.properties).
        String refusal = StepHook.refusal(Map.of(), Map.of(), ConfigProvider.getConfig().getPropertyNames());
        if (refusal != null) {
            throw new IllegalStateException(refusal);
        }
        RemediationPolicy.of(config.remediation());
        ApprovalSettings.of(config.remediation()); // approval, approval-ttl and the change windows
        // An unsafe quarantine prefix would put our copies where the daemon reads: refuse it at start.
        QuarantinePrefix.of(config.remediation().quarantinePrefix(), daemon.layout());
    }
}
