package dify.reconciler.remediate.acting;

import dify.reconciler.remediate.plan.RemediationPolicy;

/**
 * What the {@link AccessGate} reads each time it decides, from the remediation service ({@code
 * remediate.RemediationService} implements it): an interface here so the gate, which the service's writers depend on,
 * does not depend on the service.
 */
public interface GateReadings {

    /** The configured policy. */
    RemediationPolicy policy();

    /** Why quarantine and audit could not be written now, or null when they can. */
    String whyNothingCanBeRecorded();
}
