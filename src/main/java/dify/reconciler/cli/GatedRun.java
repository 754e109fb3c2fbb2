package dify.reconciler.cli;

import dify.reconciler.remediate.acting.Access;
import dify.reconciler.remediate.acting.AccessGate;
import dify.reconciler.remediate.acting.Acting;
import dify.reconciler.run.ScanRunner;
import org.jboss.logging.Logger;

/**
 * How a command that may write runs (apply, restore, recover, purge): the {@link AccessGate} decides once; refused is
 * exit 2 with the reason ({@code <command>: refused: <reason>}), any failure exit 2 with its cause (logged with the
 * exception), and an {@link Acting} token (the actor lock, the permit) is released however the body ends.
 */
final class GatedRun {

    private static final Logger LOG = Logger.getLogger(GatedRun.class);

    /** The body of a writing command: a dry run shows, {@link Acting} acts. */
    @FunctionalInterface
    interface Body {
        int run(Access.Proceed mode) throws Exception;
    }

    private GatedRun() {
    }

    static int run(AccessGate gate, AccessGate.Work work, Body body) {
        String command = work.label();
        Access access;
        try {
            access = gate.open(work, AccessGate.Caller.COMMAND);
        } catch (RuntimeException e) {
            LOG.error(command + " failed", e);
            System.err.println(command + " failed: " + ScanRunner.describe(e));
            return ExitCode.FAILED;
        }
        if (access instanceof Access.Refused r) {
            System.err.println(command + ": refused: " + r.message());
            return ExitCode.FAILED;
        }
        try {
            return body.run((Access.Proceed) access);
        } catch (Exception e) {
            LOG.error(command + " failed", e);
            System.err.println(command + " failed: " + ScanRunner.describe(e));
            return ExitCode.FAILED;
        } finally {
            if (access instanceof Acting acting) {
                acting.close();
            }
        }
    }
}
