package dify.reconciler.remediate;

/**
 * The one place that decides whether this process may change the daemon's data now. Leader election (an
 * advisory lock, built separately) will implement it for the service; the one-shot {@code apply} and
 * {@code restore} commands are run by an operator, one at a time, and may act.
 */
@FunctionalInterface
public interface ActingPermission {

    /** The one-shot commands' permission: always. */
    ActingPermission ONE_SHOT = () -> true;

    /** True when this process may apply or restore now. */
    boolean mayAct();
}
