package dify.reconciler.testsupport;

import java.util.HashMap;
import java.util.Map;

/**
 * Remediation settings for packaged runs that must plan a finding on its first sighting: one confirmation, no
 * minimum age, no share cap. The defaults wait for several scans and days and cap the share of a small dataset a
 * plan may touch; these tests prove what happens once a finding qualifies, so they skip the wait. Each test still
 * names the kinds it allows ({@code RECONCILER_REMEDIATION_KINDS}).
 */
public final class EagerRemediation {

    private EagerRemediation() {
    }

    /** Adds the eager settings to {@code env} (a mutable environment of a packaged run) and returns it. */
    public static Map<String, String> on(Map<String, String> env) {
        env.put("RECONCILER_GRACE_PERIOD", "0s");
        env.put("RECONCILER_REMEDIATION_CONFIRMATIONS", "1");
        env.put("RECONCILER_REMEDIATION_MIN_AGE", "0s");
        env.put("RECONCILER_REMEDIATION_MIN_AGE_INFO", "0s");
        env.put("RECONCILER_REMEDIATION_MAX_SHARE", "1");
        return env;
    }

    /** A copy of {@code env} that is armed ({@code RECONCILER_REMEDIATION_DRY_RUN=false}). */
    public static Map<String, String> armed(Map<String, String> env) {
        Map<String, String> armed = new HashMap<>(env);
        armed.put("RECONCILER_REMEDIATION_DRY_RUN", "false");
        return armed;
    }
}
