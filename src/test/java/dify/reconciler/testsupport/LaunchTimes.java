package dify.reconciler.testsupport;

import java.util.List;

/**
 * With {@code -Dpackaged.launch-times=true}: one line per packaged launch on standard output, naming the test class
 * that made it, the command and how long it ran, to find where a packaged-jar test's time goes (docs/development.md).
 */
public final class LaunchTimes {

    private static final boolean ON = Boolean.getBoolean("packaged.launch-times");

    private LaunchTimes() {
    }

    /** Prints the launch of {@code command}, started at {@code startedNanos}, when launch times are on. */
    public static void record(List<String> command, long startedNanos) {
        if (!ON) {
            return;
        }
        String caller = StackWalker.getInstance().walk(frames -> frames.map(StackWalker.StackFrame::getClassName)
                .filter(c -> !c.startsWith("dify.reconciler.testsupport.")).findFirst().orElse("?"));
        int jar = Math.max(command.indexOf("-jar") + 2, command.indexOf(ENTRY) + 1);
        String args = String.join(" ", command.subList(Math.min(jar, command.size()), command.size()));
        if (args.isEmpty()) {
            args = "(the service, start to close)";
        }
        System.out.printf("[launch] %s %d ms: %s%n", caller.substring(caller.lastIndexOf('.') + 1),
                (System.nanoTime() - startedNanos) / 1_000_000, args);
    }

    private static final String ENTRY = "io.quarkus.bootstrap.runner.QuarkusEntryPoint";
}
