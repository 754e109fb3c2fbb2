package dify.reconciler.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * A command run in this JVM with its standard output and error captured (they are the commands' interface, as
 * for an operator's terminal), and its exit code.
 */
public record CapturedCommand(int exit, String out, String err) {

    /** Runs {@code command}; one at a time, since it swaps the JVM's standard streams. */
    public static synchronized CapturedCommand of(Callable<Integer> command) throws Exception {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            return new CapturedCommand(command.call(), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
