package dify.reconciler.api;

import dify.reconciler.approval.Actor;
import dify.reconciler.approval.Suspension;
import dify.reconciler.approval.SuspensionStatus;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Suspension over HTTP: {@code GET /api/v1/remediation/suspension} (suspended or not, by whom, since when, why),
 * {@code POST /api/v1/remediation/suspend?reason=TEXT} (reason required: 400 without) and
 * {@code POST /api/v1/remediation/resume}, both {@link MutatingEndpoint}s, the actor as for approvals ({@link Actor}).
 */
@Path("/api/v1/remediation")
@Produces(MediaType.APPLICATION_JSON)
public class SuspensionResource {

    @Inject
    Suspension suspension;

    @Inject
    ApiConfig api;

    @GET
    @Path("/suspension")
    @Blocking
    public SuspensionStatus status() {
        return suspension.status();
    }

    @POST
    @Path("/suspend")
    @MutatingEndpoint
    @Blocking
    public SuspensionStatus suspend(@QueryParam("reason") String reason, @HeaderParam(RequestActor.HEADER) String actorHeader,
            @QueryParam("actor") String actorParameter) {
        if (reason == null || reason.isBlank()) {
            throw new ApiException(Response.Status.BAD_REQUEST,
                    "reason is required: POST /api/v1/remediation/suspend?reason=… (why remediation must stop)");
        }
        if (reason.length() > 500) {
            throw new ApiException(Response.Status.BAD_REQUEST, "reason is longer than 500 characters");
        }
        return suspension.suspend(reason, actor(actorHeader, actorParameter));
    }

    @POST
    @Path("/resume")
    @MutatingEndpoint
    @Blocking
    public SuspensionStatus resume(@HeaderParam(RequestActor.HEADER) String actorHeader, @QueryParam("actor") String actorParameter) {
        return suspension.resume(actor(actorHeader, actorParameter));
    }

    private String actor(String header, String parameter) {
        return RequestActor.fromRequest(header, parameter, api.token());
    }
}
