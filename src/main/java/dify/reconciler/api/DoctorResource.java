package dify.reconciler.api;

import dify.reconciler.doctor.Doctor;
import dify.reconciler.doctor.DoctorReport;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

/**
 * {@code GET /api/v1/doctor}: the {@code doctor} command's JSON, run now by this replica ({@code 200} whatever the
 * lines say: the statuses are the answer). It changes nothing of the daemon's. Armed, the two storage probes (an
 * object written and deleted under the quarantine prefix) run only for a request with the API token, like every
 * other request that writes; without it their lines say they were skipped and why.
 */
@Path("/api/v1/doctor")
@Produces(MediaType.APPLICATION_JSON)
public class DoctorResource {

    @Inject
    Doctor doctor;

    @Inject
    ApiToken token;

    @GET
    @Blocking
    public DoctorReport run(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        boolean mayWrite = token.refusal(authorization).isEmpty();
        return doctor.run(mayWrite
                ? null
                : "a request without the API token writes nothing (send Authorization: Bearer <token>, or run the doctor"
                        + " command)");
    }
}
