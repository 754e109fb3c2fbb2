package dify.reconciler.doctor;

import dify.reconciler.approval.ApprovalSettings;
import dify.reconciler.approval.ChangeWindows;
import dify.reconciler.approval.PublishedPlan;
import dify.reconciler.approval.SuspensionStatus;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;

/**
 * The doctor's lines for what decides whether an armed service acts now, besides its grants: plan approval
 * ({@code reconciler.remediation.approval}), change windows ({@code reconciler.remediation.windows}) and a run-time
 * suspension. Pure: the caller reads the published plan and the suspension and passes the instant.
 */
final class RemediationControlChecks {

    static final String APPROVAL = "approval";
    static final String WINDOWS = "windows";
    static final String SUSPENSION = "suspension";

    private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("EEE yyyy-MM-dd HH:mm VV", Locale.ROOT);

    private RemediationControlChecks() {
    }

    /** none, or required with the TTL and what became of the latest published plan (a plan that expired unapproved warns). */
    static DoctorCheck approval(ApprovalSettings settings, boolean armed, Optional<PublishedPlan> latest) {
        if (!settings.required()) {
            return DoctorCheck.ok(APPROVAL, "none (reconciler.remediation.approval=none): "
                    + (armed ? "an armed leader applies each plan at once" : "report mode, nothing is applied"));
        }
        String head = "required: a plan is approvable for " + settings.ttl() + " (reconciler.remediation.approval-ttl)";
        if (!armed) {
            return DoctorCheck.ok(APPROVAL, head + "; report mode: no plan is published");
        }
        if (latest.isEmpty()) {
            return DoctorCheck.ok(APPROVAL, head + "; no plan published yet");
        }
        PublishedPlan p = latest.get();
        String plan = "plan " + p.planId();
        return switch (p.status()) {
            case PENDING -> DoctorCheck.ok(APPROVAL, head + "; " + plan + " awaits approval until " + p.expiresAt());
            case APPROVED -> DoctorCheck.ok(APPROVAL, head + "; " + plan + " approved by " + p.approvedBy()
                    + ": the leader applies it at its next tick inside a change window");
            case APPLIED -> DoctorCheck.ok(APPROVAL, head + "; the latest, " + plan + ", was approved by " + p.approvedBy()
                    + " and applied at " + p.appliedAt());
            case REPLACED -> DoctorCheck.ok(APPROVAL, head + "; " + plan + " was replaced by " + p.replacedBy());
            case EXPIRED -> DoctorCheck.warn(APPROVAL, head + "; the latest, " + plan + ", expired at " + p.expiresAt()
                    + (p.approvedBy() == null ? " before anyone approved it" : " approved but not applied (outside every window?)"),
                    "approve the next published plan within the TTL (the console's plan page, or POST"
                            + " /api/v1/plans/<id>/approve), or raise reconciler.remediation.approval-ttl");
        };
    }

    /** Always open, or which window is open now, or when the next one opens (in that window's zone). */
    static DoctorCheck windows(ChangeWindows windows, Instant now) {
        if (!windows.configured()) {
            return DoctorCheck.ok(WINDOWS, "none configured (reconciler.remediation.windows): the service may act at any time");
        }
        Optional<ChangeWindows.Window> open = windows.openAt(now);
        if (open.isPresent()) {
            return DoctorCheck.ok(WINDOWS, "open now ('" + open.get().text() + "'); configured: " + windows.describe());
        }
        String next = windows.nextOpening(now).map(LOCAL::format).orElse("never");
        return DoctorCheck.ok(WINDOWS, "closed now: every action is withheld (outside_window) until the next window opens, "
                + next + "; configured: " + windows.describe() + " (the plan and apply commands ignore windows)");
    }

    /** Not suspended, or suspended by whom, since when and why: a warning, since nothing is applied or purged meanwhile. */
    static DoctorCheck suspension(SuspensionStatus s) {
        String kept = "memory".equals(s.storage()) ? " (kept in this process only: state is in memory)" : "";
        if (!s.suspended()) {
            return DoctorCheck.ok(SUSPENSION, "not suspended" + kept);
        }
        return DoctorCheck.warn(SUSPENSION, "suspended by " + s.by() + " since " + s.since() + ": " + s.reason()
                + "; nothing is applied or purged, restores still work" + kept,
                "resume when the reason is over: POST /api/v1/remediation/resume, or the console's breaker page");
    }
}
