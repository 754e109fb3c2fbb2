package dify.reconciler.config;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import org.eclipse.microprofile.config.Config;

/** Reads the daemon's variables from MicroProfile Config (environment, system properties, application.properties). */
@ApplicationScoped
public class SettingsProducer {

    @Produces
    @Singleton
    DaemonSettings daemonSettings(Config config) {
        return DaemonSettings.from(name -> config.getOptionalValue(name, String.class));
    }

    @Produces
    @Singleton
    Clock clock() {
        return Clock.systemUTC();
    }
}
