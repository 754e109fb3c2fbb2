package dify.reconciler.remediate;

/**
 * The one place that decides whether this process may change the daemon's data now. In the service only the
 * leader may ({@code dify.reconciler.leader.LeaderPermission}); the one-shot {@code apply}, {@code restore},
 * {@code recover} and {@code purge} commands only while they hold the same lock ({@code leader.CommandLock}).
 */
@FunctionalInterface
public interface ActingPermission {

    /** Always (the default bean; {@code leader.LeaderPermission} replaces it in the application). */
    ActingPermission ONE_SHOT = () -> true;

    /** True when this process may apply or restore now. */
    boolean mayAct();
}
