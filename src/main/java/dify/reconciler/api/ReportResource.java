package dify.reconciler.api;

import dify.reconciler.run.ReportDocument;
import dify.reconciler.run.RunHistory;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** {@code GET /api/v1/report}: the latest scan's report, failed or not (a failure is never hidden behind an older success). */
@Path("/api/v1/report")
@Produces(MediaType.APPLICATION_JSON)
public class ReportResource {

    @Inject
    RunHistory history;

    @GET
    public Response latest() {
        return history.latest()
                .map(r -> Response.ok(ReportDocument.of(r)).build())
                .orElseGet(() -> ApiError.response(Response.Status.SERVICE_UNAVAILABLE,
                        "no scan has completed yet; the first one starts shortly after start-up (or POST /api/v1/runs)"));
    }
}
