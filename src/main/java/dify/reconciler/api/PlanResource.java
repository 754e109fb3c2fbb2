package dify.reconciler.api;

import dify.reconciler.remediate.ServiceRemediation;
import dify.reconciler.remediate.planner.PlanDocument;
import dify.reconciler.remediate.record.ActionResult;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;

/**
 * {@code GET /api/v1/plan}: the plan the service made after its latest successful scan, whether it was applied
 * (armed and leading) and with what outcome; unarmed it is the dry run, what would be done. 404 before the
 * first plan.
 */
@Path("/api/v1/plan")
@Produces(MediaType.APPLICATION_JSON)
public class PlanResource {

    /** An action's outcome, with labels. */
    public record Result(String actionId, String kind, String action, String table, String rowId, String outcome, String detail) {

        static Result of(ActionResult r) {
            return new Result(r.actionId(), r.kind(), r.action(), r.table(), r.rowId(),
                    r.outcome() == null ? null : r.outcome().label(), r.detail());
        }
    }

    public record LatestPlan(String madeAt, boolean armed, boolean leader, boolean applied, String note, PlanDocument plan,
            List<Result> results) {
    }

    @Inject
    ServiceRemediation service;

    @GET
    public Response latest() {
        return service.latest()
                .map(l -> Response.ok(new LatestPlan(l.at().toString(), l.armed(), l.leader(), l.applied(), l.note(),
                        PlanDocument.of(l.plan()), l.results().stream().map(Result::of).toList())).build())
                .orElseGet(() -> ApiError.response(Response.Status.NOT_FOUND, "no plan yet: the service plans after each"
                        + " successful scan (the first one starts shortly after start-up, or POST /api/v1/runs)"));
    }
}
