package dify.reconciler.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;

/**
 * The body of every error the API returns: {@code {"status":400,"error":"…","allowed":[…]}}. {@code allowed}
 * lists the accepted values when a parameter had a value outside them, and is absent otherwise.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiError(int status, String error, List<String> allowed) {

    static Response response(Response.Status status, String message) {
        return response(status, message, null);
    }

    static Response response(Response.Status status, String message, List<String> allowed) {
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(new ApiError(status.getStatusCode(), message, allowed)).build();
    }
}
