package dify.reconciler.approval;

import dify.reconciler.config.ReconcilerConfig;
import java.time.Duration;

/**
 * {@code reconciler.remediation.approval}, {@code approval-ttl} and {@code windows} as plain values; checked at
 * start-up in every mode (see {@code remediate.RemediationSettingsCheck}), so a wrong value stops the process with
 * a message naming the setting.
 *
 * @param required whether an armed leader applies only plans someone approved
 * @param ttl      how long a published plan stays approvable, and an approved one applicable
 */
public record ApprovalSettings(boolean required, Duration ttl, ChangeWindows windows) {

    public static ApprovalSettings of(ReconcilerConfig.Remediation r) {
        boolean required = switch (r.approval().trim()) {
            case "none" -> false;
            case "required" -> true;
            default -> throw new IllegalArgumentException(
                    "reconciler.remediation.approval must be none or required, not '" + r.approval() + "'");
        };
        if (r.approvalTtl().isNegative() || r.approvalTtl().isZero()) {
            throw new IllegalArgumentException("reconciler.remediation.approval-ttl must be positive, not " + r.approvalTtl());
        }
        return new ApprovalSettings(required, r.approvalTtl(), ChangeWindows.parse(r.windows().orElse("")));
    }
}
