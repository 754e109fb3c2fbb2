package dify.reconciler.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The Surefire JVM inherits no JVM options and no {@code REDIS_*} variable, even when the Maven run had them (the
 * pom's {@code excludedEnvironmentVariables}), and {@link PackagedApp} removes them from the environment of the
 * application it starts (what it builds: InheritedEnvironmentIT, where the jar exists).
 */
class InheritedEnvironmentTest {

    @Test
    void thisTestJvmInheritedNoJvmOptionsAndNoRedisSettings() {
        assertEquals(Set.of(), InheritedEnvironment.forbiddenIn(System.getenv()),
                "variables the pom's test.excluded-environment must keep from test JVMs");
    }

    @Test
    void thePackagedAppGetsNoneOfThemFromTheTestsEnvironment() {
        Map<String, String> inherited = new HashMap<>(Map.of("JAVA_TOOL_OPTIONS", "-Dpicked.up=1", "JDK_JAVA_OPTIONS", "-Dx=1",
                "_JAVA_OPTIONS", "-Dy=1", "REDIS_PASSWORD", "from-the-ci-environment", "REDIS_HOST", "redis.example", "PATH", "/usr/bin",
                "DB_PASSWORD", "not-the-tests"));
        PackagedApp.withoutInheritedSettings(inherited);
        assertEquals(Map.of("PATH", "/usr/bin"), inherited);
    }
}
