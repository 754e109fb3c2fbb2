package dify.reconciler.api;

import dify.reconciler.remediate.ActionOutcome;
import dify.reconciler.remediate.ActionResult;
import dify.reconciler.remediate.RemediationService;
import dify.reconciler.remediate.Restores;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * What the restore endpoints share: refuse (409) when this instance may not restore (not armed, state in memory,
 * not the leader), 404 when nothing quarantined matches, else restore and answer with each row's outcome (a row
 * restore refused to overwrite is reported, not forced).
 */
@ApplicationScoped
public class RestoreEndpoint {

    private static final Logger LOG = Logger.getLogger(RestoreEndpoint.class);

    public record Restored(long restored, long total, List<PlanResource.Result> results) {
    }

    @Inject
    RemediationService remediation;

    @Inject
    Restores restores;

    Response restore(Restores.Selection selection, String what) {
        try {
            String refusal = restores.refusal(remediation.policy());
            if (refusal != null) {
                return ApiError.response(Response.Status.CONFLICT, "restore refused: " + refusal);
            }
            if (restores.pending(selection).isEmpty()) {
                return ApiError.response(Response.Status.NOT_FOUND, "nothing quarantined and not restored for " + what);
            }
            List<ActionResult> results = restores.restore(selection);
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
