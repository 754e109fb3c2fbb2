package dify.reconciler.cli;

import dify.reconciler.cache.CacheInvalidation;
import dify.reconciler.remediate.Restores;
import dify.reconciler.remediate.acting.AccessGate;
import dify.reconciler.remediate.acting.Acting;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
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
 * the actor lock while it runs (the {@link AccessGate} decides, as for apply).
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
    Restores restores;

    @Inject
    CacheInvalidation cache;

    @Inject
    AccessGate gate;

    @Override
    public Integer call() {
        Restores.Selection selection = new Restores.Selection(which.action, which.run);
        return GatedRun.run(gate, AccessGate.Work.RESTORE, mode -> {
            if (!(mode instanceof Acting acting)) {
                // Restore changes the daemon's tables too: only armed.
                for (ActionResult r : restores.pending(selection)) {
                    System.out.println(Rendering.line(r, "[DRY RUN] would restore"));
                }
                System.out.println("[DRY RUN] nothing restored (reconciler.remediation.dry-run is not false)");
                return ExitCode.CLEAN;
            }
            List<ActionResult> results = restores.restore(selection, acting);
            cache.awaitSecondDeletes();
            results.forEach(r -> System.out.println(Rendering.line(r, r.outcome().label()) + Rendering.cacheLine(cache, r)));
            long restored = Rendering.count(results, ActionOutcome.RESTORED);
            System.out.printf(Locale.ROOT, "Restored %d of %d quarantined row(s) and object(s)%n", restored, results.size());
            return restored == results.size() ? ExitCode.CLEAN : ExitCode.DRIFT;
        });
    }
}
