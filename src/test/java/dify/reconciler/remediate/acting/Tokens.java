package dify.reconciler.remediate.acting;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.remediate.plan.RemediationPolicy;
import java.time.Duration;
import java.util.EnumSet;

/**
 * Acting tokens for tests of the writers in this package, which arm one call explicitly instead of going through the
 * {@link AccessGate} (whose own decisions {@code AccessGateTest} proves). Production code gets a token only from the gate.
 */
public final class Tokens {

    private Tokens() {
    }

    /** A token with {@code policy}'s kinds; the policy must be armed, as the gate would require. */
    public static Acting acting(RemediationPolicy policy) {
        if (!policy.armed()) {
            throw new IllegalArgumentException("the gate never gives an Acting token to an unarmed policy");
        }
        return new Acting(policy, () -> {});
    }

    /** A token for every kind (recovery and restore do not look at the kinds). */
    public static Acting acting() {
        return acting(new RemediationPolicy(true, EnumSet.allOf(FindingKind.class), 1, Duration.ZERO, Duration.ZERO, 1000, 1.0,
                Duration.ofHours(1)));
    }

    /** What the gate gives for {@code policy} when nothing else refuses: acting if armed, else a dry run. */
    public static Access.Proceed mode(RemediationPolicy policy) {
        return policy.armed() ? acting(policy) : new Access.DryRun();
    }
}
