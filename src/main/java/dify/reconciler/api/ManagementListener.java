package dify.reconciler.api;

import dify.reconciler.config.ProcessMode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The management listener of {@code reconciler.api.mutating-on=management}: a second HTTP port that serves the same
 * routes as the main one, the only port where {@link MutatingEndpoint}s answer ({@link MutatingEndpointFilter}
 * tells the two apart by the local port a request arrived on). Not Quarkus' own management interface
 * ({@code quarkus.management.enabled}): that is fixed at build time, and enabling it moves {@code /q/metrics} off the
 * main port in Quarkus 3.37 (Micrometer has no switch to keep it there), which the ServiceMonitor scrapes. This
 * listener opens only when asked for, so by default nothing changes.
 */
@ApplicationScoped
public class ManagementListener {

    private static final Logger LOG = Logger.getLogger(ManagementListener.class);

    @Inject
    ApiConfig config;

    @Inject
    Vertx vertx;

    @ConfigProperty(name = "quarkus.http.port")
    int mainPort;

    private volatile Router router;
    private volatile HttpServer server;

    /** The main port's router (every route, the REST endpoints included), as Quarkus builds it. */
    void remember(@Observes Router router) {
        this.router = router;
    }

    /**
     * Opens the listener when the mutating endpoints belong there, once the application has started (so nothing
     * answers there half-initialised); fails startup when the port cannot be bound. Never in a one-shot command,
     * which opens no port (it may run beside the service in the same pod).
     */
    void open(@Observes StartupEvent started, ProcessMode role) {
        if (config.mutatingOn() != ApiConfig.MutatingOn.MANAGEMENT || role.oneShot()) {
            return;
        }
        if (router == null) {
            throw new IllegalStateException("reconciler.api.mutating-on=management, but the HTTP server has no router");
        }
        int port = config.managementPort();
        if (port != 0 && port == mainPort) {
            // Vert.x would share the port between both servers, round-robin: the mutating endpoints would answer
            // on the main port every other request.
            throw new IllegalStateException("reconciler.api.management-port (" + port
                    + ") must differ from the main HTTP port (quarkus.http.port)");
        }
        HttpServerOptions options = new HttpServerOptions().setHost(config.managementHost()).setPort(port);
        try {
            server = vertx.createHttpServer(options).requestHandler(router).listen().toCompletionStage()
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            String message = "cannot open the management port " + config.managementHost() + ":" + port
                    + " (reconciler.api.management-port): " + cause.getMessage();
            LOG.error(message, cause);
            // No cause attached: the startup error printed (Main: the root cause's message) must name the setting.
            throw new IllegalStateException(message);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening the management port", e);
        }
        LOG.infof("mutating API endpoints answer only on the management port %s:%d (reconciler.api.mutating-on=management)",
                config.managementHost(), server.actualPort());
    }

    void close(@Observes ShutdownEvent event) {
        HttpServer s = server;
        if (s != null) {
            s.close();
        }
    }

    /** The port the listener is bound to; 0 when it is not open. */
    public int port() {
        HttpServer s = server;
        return s == null ? 0 : s.actualPort();
    }

    /**
     * True when mutating endpoints must not exist for this request: they belong to the management listener and the
     * request arrived on another port.
     */
    public boolean hidesMutatingEndpointsFrom(HttpServerRequest request) {
        return config.mutatingOn() == ApiConfig.MutatingOn.MANAGEMENT && !received(request);
    }

    /** True when the request arrived on the management listener (not on the main port). */
    boolean received(HttpServerRequest request) {
        SocketAddress local = request.localAddress();
        int port = port();
        return port != 0 && local != null && local.port() == port;
    }
}
