package dify.reconciler.api;

import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.ext.Provider;

/** Runs {@link ApiToken} before every {@link MutatingEndpoint}; a refused request never reaches the method. */
@Provider
@MutatingEndpoint
@Priority(Priorities.AUTHENTICATION)
public class MutatingEndpointFilter implements ContainerRequestFilter {

    @Inject
    ApiToken token;

    @Override
    public void filter(ContainerRequestContext request) {
        token.refusal(request.getHeaderString(HttpHeaders.AUTHORIZATION)).ifPresent(request::abortWith);
    }
}
