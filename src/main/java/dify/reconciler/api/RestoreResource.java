package dify.reconciler.api;

import dify.reconciler.remediate.Restores;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** {@code POST /api/v1/restore?run=RUN_ID}: restores every action that run applied, newest first (a {@link MutatingEndpoint}). */
@Path("/api/v1/restore")
@Produces(MediaType.APPLICATION_JSON)
public class RestoreResource {

    @Inject
    RestoreEndpoint restore;

    @POST
    @MutatingEndpoint
    @Blocking
    public Response restoreRun(@QueryParam("run") String run) {
        if (run == null || run.isBlank()) {
            throw new ApiException(Response.Status.BAD_REQUEST, "run is required: POST /api/v1/restore?run=RUN_ID");
        }
        return restore.restore(Restores.Selection.run(run.trim()), "run " + run.trim());
    }
}
