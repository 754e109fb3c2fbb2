package dify.reconciler.remediate;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.remediate.plan.RemediationPolicy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * The remediation service of every {@code @QuarkusTest}, with one difference: a test class may say which kinds its
 * policy allows and whether it is armed, for as long as it runs. Several test classes then share one Quarkus start
 * (one {@link SharedProfiles shared profile}) instead of one start each for a kind list of their own: each class still
 * proves its own kind gate, because the planner and the {@code AccessGate} read the policy through
 * {@link #policy()} at every plan and apply, as in production. Unset (the default), the policy is the configured one,
 * unchanged. That {@code reconciler.remediation.kinds} and {@code dry-run} become this policy stays proven with the
 * settings themselves: by the classes that keep a profile of their own ({@code LostWriteAnswerTest},
 * {@code MemoryBreakerTest}, {@code DoctorCommandAndApiTest}) and by {@code ApplyKindGateIT} (the packaged jar).
 */
@Alternative
@Priority(1)
@ApplicationScoped
public class TestClassPolicy extends RemediationService {

    private static volatile Choice current;

    /** Kinds and arming of this test class; the other settings (confirmations, ages, caps) stay the configured ones. */
    private record Choice(boolean armed, Set<FindingKind> allowed) {
    }

    /** From now until {@link #configured()}: the policy allows exactly {@code kinds}, armed or a dry run. */
    public static void use(boolean armed, FindingKind... kinds) {
        Set<FindingKind> allowed = EnumSet.noneOf(FindingKind.class);
        allowed.addAll(Arrays.asList(kinds));
        current = new Choice(armed, allowed);
    }

    /** Back to the configured policy (call it in {@code @AfterAll}, so the next class sharing the start is not affected). */
    public static void configured() {
        current = null;
    }

    @Override
    public RemediationPolicy policy() {
        RemediationPolicy configured = super.policy();
        Choice o = current;
        return o == null
                ? configured
                : new RemediationPolicy(o.armed(), o.allowed(), configured.confirmations(), configured.minAge(),
                        configured.minAgeInfo(), configured.maxActionsPerRun(), configured.maxShare(), configured.planTtl());
    }
}
