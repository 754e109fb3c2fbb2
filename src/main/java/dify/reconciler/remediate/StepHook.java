package dify.reconciler.remediate;

/**
 * TEST ONLY: halts the JVM at a named step of a multi-step object action, the way SIGKILL would (no shutdown
 * hooks, no finally blocks), so fault tests can prove {@link ObjectRecovery} right. Enabled only by the system
 * property {@code dify.reconciler.test.halt-at=<step>} (e.g. {@code quarantine_object:quarantine-copied}); without it
 * nothing happens. Never set it in production. (Not under {@code reconciler.}: Quarkus rejects unknown keys there.)
 */
final class StepHook {

    static final String PROPERTY = "dify.reconciler.test.halt-at";

    /** What {@code kill -9} leaves as exit status (128 + 9). */
    static final int HALT_STATUS = 137;

    private StepHook() {
    }

    /** Called at each step boundary; halts when the property names this step. */
    static void reached(String step) {
        String haltAt = System.getProperty(PROPERTY);
        if (haltAt != null && haltAt.equals(step)) {
            System.err.println("test hook: halting at step " + step);
            System.err.flush();
            Runtime.getRuntime().halt(HALT_STATUS);
        }
    }
}
