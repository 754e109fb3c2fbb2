package dify.reconciler.api;

import dify.reconciler.remediate.RemediationService;
import dify.reconciler.remediate.Restores;
import dify.reconciler.remediate.acting.Access;
import dify.reconciler.remediate.acting.AccessGate;
import dify.reconciler.remediate.acting.Acting;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * What the restore endpoints share: refuse (409) when the {@link AccessGate} does not let this instance restore now
 * (not armed, state in memory, not the leader, or another remediation of this instance running: an apply after a
 * scan, another restore, the daily purge; the caller may try again), 404 when nothing quarantined matches, else restore and answer with each row's outcome (a row
 * restore refused to overwrite is reported, not forced).
 */
@ApplicationScoped
public class RestoreEndpoint {

    private static final Logger LOG = Logger.getLogger(RestoreEndpoint.class);

    public record Restored(long restored, long total, List<PlanResource.Result> results) {
    }

    @Inject
    Restores restores;

    @Inject
    AccessGate gate;

    Response restore(Restores.Selection selection, String what) {
        Access access = gate.open(AccessGate.Work.RESTORE, AccessGate.Caller.SERVICE);
        if (access instanceof Access.Refused r) {
            return ApiError.response(Response.Status.CONFLICT, "restore refused: " + r.message());
        }
        if (!(access instanceof Acting acting)) {
            return ApiError.response(Response.Status.CONFLICT,
                    "restore refused: not armed (reconciler.remediation.dry-run is not false): restore changes the daemon's tables too");
        }
        try (acting) {
            if (restores.pending(selection).isEmpty()) {
                return ApiError.response(Response.Status.NOT_FOUND, "nothing quarantined and not restored for " + what);
            }
            List<ActionResult> results = restores.restore(selection, acting);
            long restored = results.stream().filter(r -> r.outcome() == ActionOutcome.RESTORED).count();
            LOG.infof("restore of %s through the API: %d of %d row(s) restored", what, restored, results.size());
            return Response.ok(new Restored(restored, results.size(), results.stream().map(PlanResource.Result::of).toList()))
                    .build();
        } catch (Exception e) {
            LOG.errorf(e, "restore of %s failed", what);
            return ApiError.response(Response.Status.INTERNAL_SERVER_ERROR, "restore failed: " + e.getMessage());
        }
    }

    static void requirePersisted(RemediationService remediation) {
        String why = remediation.whyNothingCanBeRecorded();
        if (why != null) {
            throw new ApiException(Response.Status.SERVICE_UNAVAILABLE, "no audit or quarantine: " + why);
        }
    }
}
