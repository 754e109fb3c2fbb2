package dify.reconciler.config;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * Whether this process is a one-shot command or the service: the one place every bean asks before it starts work
 * of its own. {@code Main} decides it from the command line before start-up and says so in
 * {@code reconciler.mode} ({@value #ONE_SHOT_MODE} for every one-shot command: scan, plan, apply, restore, recover,
 * purge, quarantine, breaker; {@value #SERVICE_MODE} without arguments).
 *
 * <p>Service-only work starts only in the service: the threads that restore the metrics and the breaker's gauge from
 * stored state, the leader election, the management port, remediation after scheduled scans. A one-shot command
 * exits as soon as it is done; a background thread still starting then races the shutdown (stack traces, "ArC
 * container not initialized", and a state check that fails on a closed pool and reports state as not persisted).
 */
@Singleton
public class ProcessRole {

    public static final String SERVICE_MODE = "service";
    public static final String ONE_SHOT_MODE = "scan";

    private final boolean oneShot;

    @Inject
    ProcessRole(ReconcilerConfig config) {
        this(config.mode());
    }

    private ProcessRole(String mode) {
        if (!SERVICE_MODE.equals(mode) && !ONE_SHOT_MODE.equals(mode)) {
            throw new IllegalArgumentException("reconciler.mode='" + mode + "' is neither " + SERVICE_MODE + " nor " + ONE_SHOT_MODE
                    + " (the launcher sets it; operators never need to)");
        }
        this.oneShot = ONE_SHOT_MODE.equals(mode);
    }

    /** The role {@code reconciler.mode} stands for; for tests that build beans by hand. */
    public static ProcessRole of(String mode) {
        return new ProcessRole(mode);
    }

    /** A command that runs once and exits: no service-only background work. */
    public boolean oneShot() {
        return oneShot;
    }

    /** The long-running service (no command): scheduled scans, HTTP API, metrics, leader election. */
    public boolean service() {
        return !oneShot;
    }

    @Override
    public String toString() {
        return oneShot ? "one-shot command" : "service";
    }
}
