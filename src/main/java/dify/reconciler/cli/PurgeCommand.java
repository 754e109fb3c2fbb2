package dify.reconciler.cli;

import dify.reconciler.remediate.QuarantinePurge;
import dify.reconciler.remediate.acting.AccessGate;
import dify.reconciler.remediate.acting.Acting;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code purge}: deletes quarantined items older than {@code reconciler.remediation.retention} that were not
 * restored (they can no longer be undone). Unarmed it prints how many it would purge. Exit 0 done, 2 refused.
 */
@Dependent
@Unremovable
@Command(name = "purge", synopsisHeading = "usage: ", customSynopsis = "purge", description = {
        "Delete quarantined items past reconciler.remediation.retention (armed), or count them (not armed). Exit 0 done,"
                + " 2 refused."})
public class PurgeCommand implements Callable<Integer> {

    @Mixin
    HelpOption help;

    @Inject
    QuarantinePurge purge;

    @Inject
    AccessGate gate;

    @Override
    public Integer call() {
        return GatedRun.run(gate, AccessGate.Work.PURGE, mode -> {
            if (!(mode instanceof Acting acting)) {
                for (QuarantinePurge.Result r : purge.purgeable()) {
                    System.out.printf(Locale.ROOT, "[DRY RUN] would purge %d quarantined %s (quarantined before %s)%n", r.items(),
                            r.store(), purge.cutoff());
                }
                System.out.println("[DRY RUN] nothing purged (reconciler.remediation.dry-run is not false)");
                return ExitCode.CLEAN;
            }
            Instant cutoff = purge.cutoff();
            for (QuarantinePurge.Result r : purge.purge(acting)) {
                System.out.printf(Locale.ROOT, "Purged %d quarantined %s (quarantined before %s, not restored)%n", r.items(),
                        r.store(), cutoff);
            }
            return ExitCode.CLEAN;
        });
    }
}
