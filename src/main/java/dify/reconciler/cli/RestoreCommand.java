package dify.reconciler.cli;

import dify.reconciler.cache.CacheInvalidation;
import dify.reconciler.leader.CommandLock;
import dify.reconciler.remediate.ActionOutcome;
import dify.reconciler.remediate.ActionResult;
import dify.reconciler.remediate.RemediationPolicy;
import dify.reconciler.remediate.RemediationService;
import dify.reconciler.remediate.Restores;
import dify.reconciler.state.StateStore;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code restore (--action ID | --run RUN_ID | --all)}: puts quarantined rows and objects back. Exit 0 all restored,
 * 1 one refused or failed, 2 refused. Not armed, it prints what it would restore and writes nothing; armed, it holds
 * the actor lock ({@link CommandLock}) while it runs.
 */
@Dependent
@Unremovable
@Command(name = "restore", synopsisHeading = "usage: ", customSynopsis = "restore (--action ID | --run RUN_ID | --all)", description = {
        "Put quarantined rows and objects back (armed), or show what would be (not armed). Exit 0 all restored,"
                + " 1 one refused or failed, 2 refused."})
public class RestoreCommand implements Callable<Integer> {

    @Mixin
    HelpOption help;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    /** Exactly one of the three. */
    static final class Which {
        @Option(names = "--action", paramLabel = "ID", description = "One action's quarantined rows and objects.")
        String action;

        @Option(names = "--run", paramLabel = "RUN_ID", description = "Every action of one apply run.")
        String run;

        @Option(names = "--all", description = "Everything quarantined and not restored or purged.")
        boolean all;
    }

    @Inject
    RemediationService remediation;

    @Inject
    StateStore state;

    @Inject
    Restores restores;

    @Inject
    CacheInvalidation cache;

    @Inject
    CommandLock actorLock;

    @Override
    public Integer call() {
        Restores.Selection selection = new Restores.Selection(which.action, which.run);
        return ActorLockedRun.run("restore", actorLock, lock -> {
            RemediationPolicy policy = remediation.policy();
            if (!state.persisted()) {
                System.err.println(
                        "restore: refused: state is in memory (" + state.reason() + "), so there is no quarantine to restore from");
                return ExitCode.FAILED;
            }
            if (!policy.armed()) {
                // Restore changes the daemon's tables too: only armed.
                for (ActionResult r : restores.pending(selection)) {
                    System.out.println(Rendering.line(r, "[DRY RUN] would restore"));
                }
                System.out.println("[DRY RUN] nothing restored (reconciler.remediation.dry-run is not false)");
                return ExitCode.CLEAN;
            }
            lock.take();
            String refusal = restores.refusal(policy);
            if (refusal != null) {
                System.err.println("restore: refused: " + refusal);
                return ExitCode.FAILED;
            }
            List<ActionResult> results = restores.restore(selection);
            cache.awaitSecondDeletes();
            results.forEach(r -> System.out.println(Rendering.line(r, r.outcome().label()) + Rendering.cacheLine(cache, r)));
            long restored = Rendering.count(results, ActionOutcome.RESTORED);
            System.out.printf(Locale.ROOT, "Restored %d of %d quarantined row(s) and object(s)%n", restored, results.size());
            return restored == results.size() ? ExitCode.CLEAN : ExitCode.DRIFT;
        });
    }
}
