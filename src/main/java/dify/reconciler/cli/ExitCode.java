package dify.reconciler.cli;

/**
 * The exit codes every command shares, so a Job, CronJob or CI step can trust them: {@link #CLEAN} nothing to report,
 * {@link #DRIFT} something found or not done (each command says what), {@link #FAILED} the command failed, was
 * refused, or its command line is wrong. A failure is never reported as a clean result.
 */
public final class ExitCode {

    public static final int CLEAN = 0;
    public static final int DRIFT = 1;
    public static final int FAILED = 2;

    private ExitCode() {
    }
}
