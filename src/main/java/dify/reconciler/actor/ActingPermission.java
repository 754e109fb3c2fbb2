package dify.reconciler.actor;

/**
 * Whether this process leads, one input of the {@link dify.reconciler.remediate.acting.AccessGate AccessGate} (which alone decides whether to act). In the service
 * only the leader may ({@code dify.reconciler.leader.LeaderPermission}); the one-shot {@code apply}, {@code restore},
 * {@code recover} and {@code purge} commands only while they hold the same lock ({@code leader.CommandLock}, taken
 * through the gate). Elsewhere it is only reported (the plan's view).
 */
@FunctionalInterface
public interface ActingPermission {

    /** Always (the default bean; {@code leader.LeaderPermission} replaces it in the application). */
    ActingPermission ONE_SHOT = () -> true;

    /** True when this process may apply or restore now. */
    boolean mayAct();
}
