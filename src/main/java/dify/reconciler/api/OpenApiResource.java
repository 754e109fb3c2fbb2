package dify.reconciler.api;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;

/**
 * {@code GET /api/v1/openapi.yaml}: the hand-written OpenAPI document of this API
 * ({@code src/main/resources/META-INF/openapi.yaml}). Static because the SmallRye OpenAPI extension's
 * deployment artifact for Quarkus 3.37.4 is not in the Maven repository this project builds from.
 */
@Path("/api/v1/openapi.yaml")
public class OpenApiResource {

    @GET
    @Produces("application/yaml")
    public Response document() {
        InputStream in = OpenApiResource.class.getResourceAsStream("/META-INF/openapi.yaml");
        if (in == null) {
            return ApiError.response(Response.Status.NOT_FOUND, "META-INF/openapi.yaml is missing from the build");
        }
        return Response.ok(in).build();
    }
}
