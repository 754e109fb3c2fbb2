package dify.reconciler.api;

import io.vertx.core.http.HttpServerRequest;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;

/**
 * Runs before every {@link MutatingEndpoint}; a refused request never reaches the method. With
 * {@code reconciler.api.mutating-on=management}, a request on the main port answers 404 first (the endpoint is not
 * there, so it says nothing about tokens); then {@link ApiToken} decides.
 */
@Provider
@MutatingEndpoint
@Priority(Priorities.AUTHENTICATION)
public class MutatingEndpointFilter implements ContainerRequestFilter {

    @Inject
    ApiToken token;

    // Both application- or request-scoped (proxies): RESTEasy Reactive creates this filter at build time, before
    // runtime configuration such as ApiConfig exists.
    @Inject
    ManagementListener management;

    @Inject
    HttpServerRequest httpRequest;

    @Override
    public void filter(ContainerRequestContext request) {
        if (management.hidesMutatingEndpointsFrom(httpRequest)) {
            request.abortWith(ApiError.response(Response.Status.NOT_FOUND,
                    "not found: mutating endpoints are served on the management port only"));
            return;
        }
        token.refusal(request.getHeaderString(HttpHeaders.AUTHORIZATION)).ifPresent(request::abortWith);
    }
}
