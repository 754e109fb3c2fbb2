package dify.reconciler.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.approval.ApprovalSettings;
import dify.reconciler.approval.ChangeWindows;
import dify.reconciler.approval.PublishedPlan;
import dify.reconciler.approval.SuspensionStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The doctor's approval, windows and suspension lines: what each says in every state an operator meets, with the
 * fix where one is needed; the windows line names when the next window opens in that window's own zone.
 */
class RemediationControlChecksTest {

    private static final Duration TTL = Duration.ofHours(24);
    /** A Wednesday, 10:30 UTC (11:30 in Berlin). */
    private static final Instant WEDNESDAY = Instant.parse("2026-12-09T10:30:00Z");

    private static ApprovalSettings required() {
        return new ApprovalSettings(true, TTL, ChangeWindows.always());
    }

    private static PublishedPlan plan(PublishedPlan.Status status, String approvedBy) {
        return new PublishedPlan("plan-7", WEDNESDAY, WEDNESDAY.plus(TTL), "run-7", status, approvedBy,
                approvedBy == null ? null : WEDNESDAY, null, status == PublishedPlan.Status.APPLIED ? WEDNESDAY : null, null, "persisted");
    }

    @Test
    void approvalSaysNoneOrRequiredWithTheTtlAndTheLatestPlan() {
        DoctorCheck none = RemediationControlChecks.approval(new ApprovalSettings(false, TTL, ChangeWindows.always()), true,
                Optional.empty());
        assertEquals(new DoctorCheck("approval", DoctorStatus.OK,
                "none (reconciler.remediation.approval=none): an armed leader applies each plan at once", null), none);

        DoctorCheck nothingYet = RemediationControlChecks.approval(required(), true, Optional.empty());
        assertEquals(DoctorStatus.OK, nothingYet.status());
        assertEquals("required: a plan is approvable for PT24H (reconciler.remediation.approval-ttl); no plan published yet",
                nothingYet.detail());

        DoctorCheck pending = RemediationControlChecks.approval(required(), true, Optional.of(plan(PublishedPlan.Status.PENDING, null)));
        assertEquals(DoctorStatus.OK, pending.status());
        assertTrue(pending.detail().endsWith("; plan plan-7 awaits approval until 2026-12-10T10:30:00Z"), pending.detail());

        DoctorCheck approved = RemediationControlChecks.approval(required(), true,
                Optional.of(plan(PublishedPlan.Status.APPROVED, "alice")));
        assertTrue(approved.detail().contains("plan plan-7 approved by alice: the leader applies it at its next tick"),
                approved.detail());

        DoctorCheck expired = RemediationControlChecks.approval(required(), true, Optional.of(plan(PublishedPlan.Status.EXPIRED, null)));
        assertEquals(DoctorStatus.WARN, expired.status());
        assertTrue(expired.detail().endsWith("plan plan-7, expired at 2026-12-10T10:30:00Z before anyone approved it"), expired.detail());
        assertTrue(expired.fix().contains("reconciler.remediation.approval-ttl"), expired.fix());

        DoctorCheck reportMode = RemediationControlChecks.approval(required(), false, Optional.empty());
        assertEquals(DoctorStatus.OK, reportMode.status());
        assertTrue(reportMode.detail().endsWith("report mode: no plan is published"), reportMode.detail());
    }

    @Test
    void windowsSayOpenNowOrWhenTheNextOpensInItsZone() {
        assertEquals(new DoctorCheck("windows", DoctorStatus.OK,
                "none configured (reconciler.remediation.windows): the service may act at any time", null),
                RemediationControlChecks.windows(ChangeWindows.always(), WEDNESDAY));

        ChangeWindows nights = ChangeWindows.parse("Mon-Fri 02:00-04:00 Europe/Berlin; Sat 10:00-12:00 UTC");
        DoctorCheck closed = RemediationControlChecks.windows(nights, WEDNESDAY);
        assertEquals(DoctorStatus.OK, closed.status());
        assertNull(closed.fix());
        assertEquals("closed now: every action is withheld (outside_window) until the next window opens, Thu 2026-12-10 02:00"
                + " Europe/Berlin; configured: Mon-Fri 02:00-04:00 Europe/Berlin; Sat 10:00-12:00 UTC (the plan and apply commands"
                + " ignore windows)", closed.detail());

        // Friday 03:00 UTC is 04:00 in Berlin: closed; the next is Saturday's UTC window, before Monday's Berlin one.
        DoctorCheck weekend = RemediationControlChecks.windows(nights, Instant.parse("2026-12-11T03:00:00Z"));
        assertTrue(weekend.detail().contains("opens, Sat 2026-12-12 10:00 UTC;"), weekend.detail());

        DoctorCheck open = RemediationControlChecks.windows(nights, Instant.parse("2026-12-10T01:30:00Z"));
        assertEquals("open now ('Mon-Fri 02:00-04:00 Europe/Berlin'); configured: Mon-Fri 02:00-04:00 Europe/Berlin;"
                + " Sat 10:00-12:00 UTC", open.detail());
    }

    @Test
    void aSuspensionWarnsWithWhoWhyAndHowToResume() {
        assertEquals(new DoctorCheck("suspension", DoctorStatus.OK, "not suspended", null),
                RemediationControlChecks.suspension(new SuspensionStatus(false, null, null, null, "persisted")));
        DoctorCheck suspended = RemediationControlChecks.suspension(
                new SuspensionStatus(true, "daemon upgrade", "bob", Instant.parse("2026-12-09T08:00:00Z"), "persisted"));
        assertEquals(DoctorStatus.WARN, suspended.status());
        assertEquals("suspended by bob since 2026-12-09T08:00:00Z: daemon upgrade; nothing is applied or purged, restores still work",
                suspended.detail());
        assertTrue(suspended.fix().contains("POST /api/v1/remediation/resume"), suspended.fix());
        assertTrue(RemediationControlChecks.suspension(new SuspensionStatus(true, "x", "bob", WEDNESDAY, "memory")).detail()
                .endsWith("(kept in this process only: state is in memory)"));
    }
}
