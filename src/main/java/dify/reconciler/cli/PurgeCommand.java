package dify.reconciler.cli;

import dify.reconciler.leader.CommandLock;
import dify.reconciler.remediate.ActingPermission;
import dify.reconciler.remediate.QuarantinePurge;
import dify.reconciler.remediate.RemediationPolicy;
import dify.reconciler.remediate.RemediationService;
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
    RemediationService remediation;

    @Inject
    QuarantinePurge purge;

    @Inject
    ActingPermission permission;

    @Inject
    CommandLock actorLock;

    @Override
    public Integer call() {
        return ActorLockedRun.run("purge", actorLock, lock -> {
            RemediationPolicy policy = remediation.policy();
            String unrecorded = remediation.whyNothingCanBeRecorded();
            if (unrecorded != null) {
                System.err.println("purge: refused: " + unrecorded + ", so there is no quarantine to purge");
                return ExitCode.FAILED;
            }
            if (!policy.armed()) {
                for (QuarantinePurge.Result r : purge.purgeable()) {
                    System.out.printf(Locale.ROOT, "[DRY RUN] would purge %d quarantined %s (quarantined before %s)%n", r.items(),
                            r.store(), purge.cutoff());
                }
                System.out.println("[DRY RUN] nothing purged (reconciler.remediation.dry-run is not false)");
                return ExitCode.CLEAN;
            }
            lock.take();
            if (!permission.mayAct()) {
                System.err.println("purge: refused: this process may not act now (not the leader)");
                return ExitCode.FAILED;
            }
            Instant cutoff = purge.cutoff();
            for (QuarantinePurge.Result r : purge.purge()) {
                System.out.printf(Locale.ROOT, "Purged %d quarantined %s (quarantined before %s, not restored)%n", r.items(),
                        r.store(), cutoff);
            }
            return ExitCode.CLEAN;
        });
    }
}
