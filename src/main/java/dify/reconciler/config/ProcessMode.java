package dify.reconciler.config;

import org.eclipse.microprofile.config.spi.Converter;

/**
 * What this process is, decided once by the launcher from its command line, before start-up: the long-running
 * service (no arguments) or a one-shot command (scan, plan, apply, restore, recover, purge, quarantine, breaker). The
 * launcher says so in {@code reconciler.mode}; {@link ReconcilerConfig#mode()} reads it into this enum through
 * {@link Setting} (a value that is neither stops start-up), and beans inject it (produced by {@link SettingsProducer})
 * instead of comparing strings.
 *
 * <p>Service-only work starts only in the service: the threads that restore the metrics and the breaker's gauge from
 * stored state, the leader election, the management port, remediation after scheduled scans. A one-shot command
 * exits as soon as it is done; a background thread still starting then races the shutdown (stack traces, "ArC
 * container not initialized", and a state check that fails on a closed pool and reports state as not persisted).
 */
public enum ProcessMode {

    /** The long-running service (no command): scheduled scans, HTTP API, metrics, leader election. */
    SERVICE("service"),

    /** A command that runs once and exits: no service-only background work. */
    ONE_SHOT("scan");

    private final String setting;

    ProcessMode(String setting) {
        this.setting = setting;
    }

    /**
     * The value of {@code reconciler.mode} that stands for this mode, also the {@code mode} label of
     * {@code plugin_reconciler_info} ({@code scan} for every one-shot command, as before the enum existed).
     */
    public String setting() {
        return setting;
    }

    public boolean oneShot() {
        return this == ONE_SHOT;
    }

    public boolean service() {
        return this == SERVICE;
    }

    /** The mode a value of {@code reconciler.mode} stands for. */
    public static ProcessMode fromSetting(String value) {
        for (ProcessMode mode : values()) {
            if (mode.setting.equals(value == null ? null : value.trim())) {
                return mode;
            }
        }
        throw new IllegalArgumentException("reconciler.mode='" + value + "' is neither " + SERVICE.setting + " nor "
                + ONE_SHOT.setting + " (the launcher sets it; operators never need to)");
    }

    @Override
    public String toString() {
        return this == ONE_SHOT ? "one-shot command" : "service";
    }

    /** Reads {@code reconciler.mode} into the enum (SmallRye's own enum converter would want the constant names). */
    public static final class Setting implements Converter<ProcessMode> {

        private static final long serialVersionUID = 1L;

        @Override
        public ProcessMode convert(String value) {
            return fromSetting(value);
        }
    }
}
