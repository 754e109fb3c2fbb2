package dify.reconciler.inventory.workdir;

import java.util.List;

/**
 * What the checks of a plugin folder's Python environment found.
 *
 * @param problems         why the environment cannot run the plugin, one sentence each; empty when none was found
 * @param notFollowed      true when a link or {@code home} of the environment points outside the working path: that
 *                         part lives in the daemon's container and was not judged (the rest was)
 */
public record EnvironmentCheck(List<String> problems, boolean notFollowed) {

    public boolean broken() {
        return !problems.isEmpty();
    }
}
