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
        // The storage variables of every backend the daemon reads, as a developer's shell or a CI runner may hold them.
        inherited.putAll(Map.of("AZURE_BLOB_STORAGE_CONNECTION_STRING", "AccountKey=x", "GCS_CREDENTIALS", "e30=",
                "STORAGE_EMULATOR_HOST", "localhost:1", "ALIYUN_OSS_ACCESS_KEY_SECRET", "s", "TENCENT_COS_SECRET_KEY", "s",
                "HUAWEI_OBS_SECRET_KEY", "s", "VOLCENGINE_TOS_SECRET_KEY", "s", "BAIDU_BOS_SECRET_KEY", "s"));
        PackagedApp.withoutInheritedSettings(inherited);
        assertEquals(Map.of("PATH", "/usr/bin"), inherited);
    }
}
