package dify.reconciler.testsupport;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What a test JVM must not inherit from the environment it was started in: JVM options, and any of the daemon's
 * {@code REDIS_*} settings (the pom's {@code test.excluded-environment} keeps them from Surefire's and Failsafe's
 * JVMs; {@link PackagedApp} keeps them from the application it starts).
 */
public final class InheritedEnvironment {

    /** Variables every JVM reads its options from. */
    public static final List<String> JVM_OPTIONS = List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");

    private InheritedEnvironment() {
    }

    /** The names in {@code environment} that must not be there; empty when it is clean. */
    public static TreeSet<String> forbiddenIn(Map<String, String> environment) {
        TreeSet<String> found = new TreeSet<>();
        for (String name : environment.keySet()) {
            if (JVM_OPTIONS.contains(name) || name.startsWith("REDIS_")) {
                found.add(name);
            }
        }
        return found;
    }
}
