package dify.reconciler.remediate.write;

import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The remediation's step boundaries, where a fault test can stop it ({@link Step}). In the production artifact this is
 * inert: {@link #reached} does nothing unless the test-only class {@value #TEST_HOOK_CLASS} (in {@code src/test/java},
 * never in the jar) is on the system class path; only then do its {@code dify.reconciler.test.*} system properties
 * halt or pause the process. So a {@code JAVA_TOOL_OPTIONS} set on a Deployment cannot stop a production process, and
 * {@link #refusal} makes the process refuse to start, naming the setting, when such a setting is present without the
 * hook (a test setting that silently did nothing would hide a mistake).
 *
 * <p>
 * The hook is looked up through the <em>system</em> class loader: the packaged application's own classes are loaded by
 * Quarkus' class loader from {@code quarkus-app/app/}, so nothing shipped there can switch it on. It is a plain
 * {@code Consumer<String>} (a JDK type) because the system class loader cannot see this class.
 */
public final class StepHook {

    /** The test-only implementation; its absence makes every step boundary a no-op. */
    public static final String TEST_HOOK_CLASS = "dify.reconciler.testhook.TestStepHook";

    /** System properties (and configuration) under this prefix are the test hook's only. */
    public static final String TEST_SETTING_PREFIX = "dify.reconciler.test.";

    /** The same prefix as an environment variable (MicroProfile Config's mapping of a property name). */
    static final String TEST_VARIABLE_PREFIX = "DIFY_RECONCILER_TEST_";

    private static final Consumer<String> HOOK = load();

    private StepHook() {
    }

    /** Called at each step boundary: nothing happens unless the test hook is on the class path. */
    public static void reached(Step step) {
        if (HOOK != null) {
            HOOK.accept(step.label());
        }
    }

    /** Whether the test hook is present (only ever in tests). */
    public static boolean testHookPresent() {
        return HOOK != null;
    }

    /**
     * Why the process must not start, or null: a {@code dify.reconciler.test.*} setting (system property, environment
     * variable or configuration key) is present but the test hook is not, i.e. a test setting reached a production build.
     */
    public static String refusal(Map<?, ?> systemProperties, Map<String, String> environment, Iterable<String> configNames) {
        if (testHookPresent()) {
            return null;
        }
        TreeSet<String> found = new TreeSet<>();
        for (Object name : systemProperties.keySet()) {
            if (String.valueOf(name).startsWith(TEST_SETTING_PREFIX)) {
                found.add("system property " + name);
            }
        }
        for (String name : environment.keySet()) {
            if (name.startsWith(TEST_VARIABLE_PREFIX)) {
                found.add("environment variable " + name);
            }
        }
        for (String name : configNames) {
            if (name.startsWith(TEST_SETTING_PREFIX) || name.startsWith(TEST_VARIABLE_PREFIX)) {
                found.add("configuration " + name);
            }
        }
        if (found.isEmpty()) {
            return null;
        }
        return "the test-only setting(s) " + String.join(", ", found) + " are set, but this is a production build (the test"
                + " hook " + TEST_HOOK_CLASS + " is not on the class path): remove them (check JAVA_TOOL_OPTIONS)";
    }

    @SuppressWarnings("unchecked") // checked: the class must be a Consumer, its type argument is String by contract
    private static Consumer<String> load() {
        Class<?> hook;
        try {
            hook = Class.forName(TEST_HOOK_CLASS, true, ClassLoader.getSystemClassLoader());
        } catch (ClassNotFoundException e) {
            return null; // production: every step boundary is a no-op
        }
        if (!Consumer.class.isAssignableFrom(hook)) {
            throw new IllegalStateException(TEST_HOOK_CLASS + " is not a Consumer<String>");
        }
        try {
            return (Consumer<String>) hook.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the test hook " + TEST_HOOK_CLASS + " cannot be created", e);
        }
    }
}
