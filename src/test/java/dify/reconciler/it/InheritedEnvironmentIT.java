package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dify.reconciler.testsupport.InheritedEnvironment;
import dify.reconciler.testsupport.PackagedApp;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The Failsafe JVM, which starts the packaged application for every *IT, inherits no JVM options and no
 * {@code REDIS_*} variable from the Maven run's environment (the pom's {@code excludedEnvironmentVariables}), and
 * the packaged application it starts gets only the settings a test gives it.
 */
class InheritedEnvironmentIT {

    @Test
    void thisTestJvmInheritedNoJvmOptionsAndNoRedisSettings() {
        assertEquals(Set.of(), InheritedEnvironment.forbiddenIn(System.getenv()),
                "variables the pom's test.excluded-environment must keep from test JVMs");
    }

    @Test
    void thePackagedAppGetsOnlyTheRedisSettingsTheTestGivesIt() {
        // The environment ProcessBuilder hands the child: this JVM's, filtered, plus the test's own.
        Map<String, String> child = PackagedApp.builder(Map.of("REDIS_PORT", "6390"), List.of(), "scan").environment();
        assertEquals(Set.of("REDIS_PORT"), InheritedEnvironment.forbiddenIn(child));
        assertEquals("C.UTF-8", child.get("LANG"));
    }
}
