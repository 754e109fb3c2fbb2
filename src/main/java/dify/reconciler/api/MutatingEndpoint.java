package dify.reconciler.api;

import jakarta.ws.rs.NameBinding;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an endpoint that starts work or changes data: it answers only to {@code Authorization: Bearer <token>}
 * with the configured token ({@link ApiToken}, checked by {@link MutatingEndpointFilter} before the method runs).
 */
@NameBinding
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface MutatingEndpoint {
}
