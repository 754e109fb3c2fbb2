package dify.reconciler.api;

import dify.reconciler.remediate.guard.Breaker;
import dify.reconciler.remediate.guard.BreakerEvent;
import dify.reconciler.remediate.guard.BreakerStatus;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * The remediation breaker over HTTP: {@code GET /api/v1/breaker} (tripped or not, the open trips) and
 * {@code POST /api/v1/breaker/ack?reason=…} (a {@link MutatingEndpoint}: acknowledges every open trip, with the
 * reason and "api" as who, as {@code breaker ack --reason} does from the command line).
 */
@Path("/api/v1/breaker")
@Produces(MediaType.APPLICATION_JSON)
public class BreakerResource {

    private static final Logger LOG = Logger.getLogger(BreakerResource.class);

    /** What an acknowledgement did. */
    public record Acknowledged(int acknowledged, List<BreakerEvent> events, BreakerStatus status) {
    }

    @Inject
    Breaker breaker;

    @GET
    @Blocking
    public BreakerStatus status() {
        return breaker.status();
    }

    @POST
    @Path("/ack")
    @MutatingEndpoint
    @Blocking
    public Response ack(@QueryParam("reason") String reason) {
        if (reason == null || reason.isBlank()) {
            throw new ApiException(Response.Status.BAD_REQUEST,
                    "reason is required: POST /api/v1/breaker/ack?reason=… (what was checked, why acting is safe again)");
        }
        List<BreakerEvent> acked = breaker.ack(reason.trim(), "api");
        LOG.infof("remediation breaker acknowledged through the API (%d open trip(s)): %s", acked.size(), reason.trim());
        return Response.ok(new Acknowledged(acked.size(), acked, breaker.status())).build();
    }
}
