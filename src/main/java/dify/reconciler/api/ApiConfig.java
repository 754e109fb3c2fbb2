package dify.reconciler.api;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/** The HTTP API ({@code reconciler.api.*}, {@code RECONCILER_API_…}). */
@ConfigMapping(prefix = "reconciler.api")
public interface ApiConfig {

    /**
     * The bearer token that mutating endpoints require ({@code RECONCILER_API_TOKEN}, from a Secret). Unset: those
     * endpoints answer 403 (mutations through the API are disabled). Never logged.
     */
    Optional<String> token();

    /**
     * Where the mutating endpoints answer ({@code RECONCILER_API_MUTATING_ON}): {@code main} (default) on the main
     * HTTP port with everything else; {@code management} only on {@link #managementPort()}, a second listener kept
     * out of the Service, so whoever reaches the Service can read but never start or restore anything. The main
     * port then answers them 404.
     */
    @WithDefault("main")
    MutatingOn mutatingOn();

    /**
     * The port of the management listener ({@code RECONCILER_API_MANAGEMENT_PORT}); opened only with
     * {@code mutating-on=management}. 0 picks a free port (tests). Must differ from the main port.
     */
    @WithDefault("9000")
    int managementPort();

    /** The interface the management listener binds ({@code RECONCILER_API_MANAGEMENT_HOST}). */
    @WithDefault("0.0.0.0")
    String managementHost();

    /** The listeners that may serve the mutating endpoints. */
    enum MutatingOn {
        /** The main HTTP port ({@code quarkus.http.port}), as every other endpoint. */
        MAIN,
        /** Only the management listener ({@code reconciler.api.management-port}). */
        MANAGEMENT
    }
}
