package dify.reconciler.remediate;

/**
 * The one place that decides whether this process may change the daemon's data now. In the service only the
 * leader may ({@code dify.reconciler.leader.LeaderPermission}); the one-shot {@code apply}, {@code restore} and
 * {@code purge} commands are run by an operator, one at a time, and may act.
 */
@FunctionalInterface
public interface ActingPermission {

    /** The one-shot commands' permission: always. */
    ActingPermission ONE_SHOT = () -> true;

    /** True when this process may apply or restore now. */
    boolean mayAct();
}
