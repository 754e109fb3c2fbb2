package dify.reconciler.api;

import dify.reconciler.doctor.Doctor;
import dify.reconciler.doctor.DoctorReport;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * {@code GET /api/v1/doctor}: the {@code doctor} command's JSON, run now by this replica ({@code 200} whatever the
 * lines say: the statuses are the answer). Armed, it writes and deletes two probe objects under the quarantine prefix,
 * nothing else; it changes nothing of the daemon's.
 */
@Path("/api/v1/doctor")
@Produces(MediaType.APPLICATION_JSON)
public class DoctorResource {

    @Inject
    Doctor doctor;

    @GET
    @Blocking
    public DoctorReport run() {
        return doctor.run();
    }
}
