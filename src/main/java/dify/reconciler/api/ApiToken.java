package dify.reconciler.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * The check of mutating endpoints: no token configured, every mutation is refused (403, mutations disabled);
 * otherwise the request must carry {@code Authorization: Bearer <token>} (401 without it or with another one).
 * Compared in constant time, on SHA-256 digests so not even the length is revealed by timing. Neither the
 * configured nor the presented token is ever logged or echoed.
 */
@ApplicationScoped
public class ApiToken {

    private static final String BEARER = "bearer ";

    @Inject
    ApiConfig config;

    /** The error response for this {@code Authorization} header, or empty when the request may mutate. */
    public Optional<Response> refusal(String authorization) {
        Optional<String> configured = config.token().filter(t -> !t.isBlank());
        if (configured.isEmpty()) {
            return Optional.of(ApiError.response(Response.Status.FORBIDDEN,
                    "mutating endpoints are disabled: no API token is configured (set RECONCILER_API_TOKEN from a Secret"
                            + " to enable them)"));
        }
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Optional.of(unauthorized("this endpoint needs Authorization: Bearer <token>"));
        }
        String presented = authorization.substring(BEARER.length()).trim();
        if (!MessageDigest.isEqual(sha256(configured.get()), sha256(presented))) {
            return Optional.of(unauthorized("the bearer token is not the configured one"));
        }
        return Optional.empty();
    }

    private static Response unauthorized(String message) {
        Response r = ApiError.response(Response.Status.UNAUTHORIZED, message);
        return Response.fromResponse(r).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"dify-plugin-reconciler\"").build();
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
