package dify.reconciler.api;

import dify.reconciler.approval.Actor;
import dify.reconciler.approval.PlanApprovals;
import dify.reconciler.approval.PublishedPlan;
import dify.reconciler.config.ReconcilerConfig;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Plan approval over HTTP ({@code reconciler.remediation.approval=required}). {@code GET /api/v1/plans/pending}: the
 * most recently published plan and its status ({@code pending}, {@code approved}, {@code replaced}, {@code expired},
 * {@code applied}), 404 when none was published. {@code GET /api/v1/plans/{id}}: one published plan.
 * {@code POST /api/v1/plans/{id}/approve} (a {@link MutatingEndpoint}): approves a pending plan for the actor
 * ({@link Actor}); 409 with {@code currentPlanId} when it was replaced, expired or applied, 404 when unknown.
 */
@Path("/api/v1/plans")
@Produces(MediaType.APPLICATION_JSON)
public class ApprovalResource {

    @Inject
    PlanApprovals approvals;

    @Inject
    ApiConfig api;

    @Inject
    ReconcilerConfig config;

    @GET
    @Path("/pending")
    @Blocking
    public Response pending() throws SQLException {
        return approvals.current().map(p -> Response.ok(view(p)).build()).orElseThrow(() -> new ApiException(Response.Status.NOT_FOUND,
                "no plan was published for approval: an armed leader with reconciler.remediation.approval=required (now "
                        + config.remediation().approval() + ") publishes each plan that has actions after its scan"));
    }

    @GET
    @Path("/{id}")
    @Blocking
    public Response one(@PathParam("id") String id) throws SQLException {
        return approvals.find(id).map(p -> Response.ok(view(p)).build())
                .orElseThrow(() -> new ApiException(Response.Status.NOT_FOUND, "no published plan " + id));
    }

    @POST
    @Path("/{id}/approve")
    @MutatingEndpoint
    @Blocking
    public Response approve(@PathParam("id") String id, @HeaderParam(RequestActor.HEADER) String actorHeader,
            @QueryParam("actor") String actorParameter) throws SQLException {
        String actor = RequestActor.fromRequest(actorHeader, actorParameter, api.token());
        PlanApprovals.Approval a = approvals.approve(id, actor);
        if (a instanceof PlanApprovals.Approved ok) {
            return Response.ok(view(ok.plan())).build();
        }
        Map<String, Object> body = new LinkedHashMap<>();
        if (a instanceof PlanApprovals.Conflict c) {
            body.put("status", 409);
            body.put("error", c.why());
            body.put("planStatus", c.plan().status().label());
            body.put("currentPlanId", c.currentPlanId());
            return Response.status(Response.Status.CONFLICT).entity(body).build();
        }
        body.put("status", 404);
        body.put("error", "no published plan " + id);
        body.put("currentPlanId", ((PlanApprovals.NotFound) a).currentPlanId());
        return Response.status(Response.Status.NOT_FOUND).entity(body).build();
    }

    /** The JSON of a published plan: its facts first, then the plan as {@code plan} writes it. */
    static Map<String, Object> view(PublishedPlan p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("planId", p.planId());
        m.put("status", p.status().label());
        m.put("createdAt", p.createdAt().toString());
        m.put("expiresAt", p.expiresAt().toString());
        m.put("runId", p.runId());
        m.put("approvedBy", p.approvedBy());
        m.put("approvedAt", p.approvedAt() == null ? null : p.approvedAt().toString());
        m.put("replacedBy", p.replacedBy());
        m.put("appliedAt", p.appliedAt() == null ? null : p.appliedAt().toString());
        m.put("storage", p.storage());
        m.put("plan", p.plan());
        return m;
    }
}
