package dify.reconciler.observe;

import dify.reconciler.config.DaemonSettings;
import dify.reconciler.inventory.storage.ObjectStorage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;

/**
 * {@code /q/health/started}: UP once the daemon's settings were parsed and the storage adapter was built
 * (both happen when this bean is first created, so a bad configuration fails start-up with a message naming
 * the variable, and the startup probe never turns UP). It does not contact the database or the bucket: the
 * readiness check reports those, and a dependency outage must not keep the container in start-up forever.
 */
@Startup
@ApplicationScoped
public class StartupHealthCheck implements HealthCheck {

    @Inject
    DaemonSettings daemon;

    @Inject
    ObjectStorage storage;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("dify-plugin-reconciler configuration")
                .up()
                .withData("storageType", daemon.storageType().label())
                .withData("storage", storage.describe())
                .withData("database", daemon.databaseDescription())
                .build();
    }
}
