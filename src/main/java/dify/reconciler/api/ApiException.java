package dify.reconciler.api;

import jakarta.ws.rs.core.Response;
import java.util.List;

/** A client error with the message and accepted values the response names; rendered as {@link ApiError}. */
public class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Response.Status status;
    private final List<String> allowed;

    public ApiException(Response.Status status, String message, List<String> allowed) {
        super(message);
        this.status = status;
        this.allowed = allowed;
    }

    public ApiException(Response.Status status, String message) {
        this(status, message, null);
    }

    Response toResponse() {
        return ApiError.response(status, getMessage(), allowed);
    }
}
