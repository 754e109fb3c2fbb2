package dify.reconciler.api;

import dify.reconciler.approval.Actor;
import jakarta.ws.rs.core.Response;
import java.util.Optional;

/**
 * The actor of a mutating request, read once for every resource that records one (approve, suspend, resume): the
 * {@code X-Reconciler-Actor} header, else the {@code actor} parameter, as {@link Actor} checks them; a value it
 * refuses is the same 400 on every endpoint.
 */
final class RequestActor {

    static final String HEADER = "X-Reconciler-Actor";

    private RequestActor() {
    }

    /** The actor to record, or a 400 {@link ApiException} saying what is wrong with it (never echoing it). */
    static String fromRequest(String header, String parameter, Optional<String> apiToken) {
        try {
            return Actor.of(header, parameter, apiToken);
        } catch (IllegalArgumentException e) {
            throw new ApiException(Response.Status.BAD_REQUEST, e.getMessage());
        }
    }
}
