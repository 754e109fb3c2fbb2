package dify.reconciler.remediate.record;

import java.util.List;

/**
 * Told after an action's transaction committed (an applied action, or a restore), with the rows it changed:
 * what the daemon may still serve from its caches. Called outside any transaction; it must not throw, and
 * nothing it does can undo the change.
 */
@FunctionalInterface
public interface AppliedRowsListener {

    AppliedRowsListener NONE = (actionId, rows) -> {};

    void committed(String actionId, List<ChangedRow> rows);
}
