package dify.reconciler.config;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import org.eclipse.microprofile.config.Config;

/** Reads the daemon's variables from MicroProfile Config (environment, system properties, application.properties). */
@ApplicationScoped
public class SettingsProducer {

    @Produces
    @Singleton
    DaemonSettings daemonSettings(Config config, ReconcilerConfig reconciler) {
        Path workingDirectory;
        try {
            workingDirectory = Path.of(reconciler.daemonWorkingDirectory());
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("reconciler.daemon-working-directory='" + reconciler.daemonWorkingDirectory()
                    + "' is not a valid path", e);
        }
        return DaemonSettings.from(name -> config.getOptionalValue(name, String.class), workingDirectory);
    }

    /** What this process is (service or one-shot command), decided by the launcher before start-up. */
    @Produces
    @Singleton
    ProcessMode processMode(ReconcilerConfig reconciler) {
        return reconciler.mode();
    }

    @Produces
    @Singleton
    Clock clock() {
        return Clock.systemUTC();
    }
}
