package dify.reconciler.cli;

import dify.reconciler.remediate.RemediationService;
import dify.reconciler.remediate.acting.AccessGate;
import dify.reconciler.remediate.acting.Acting;
import dify.reconciler.remediate.apply.InterruptedObjectActions;
import dify.reconciler.remediate.objects.ObjectRecovery;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code recover}: rolls back or completes object actions a killed process left half done (apply does it first
 * too). Unarmed it prints what it would do. Exit 0 nothing to do or all settled, 1 something left undecided
 * (reported, left alone), 2 refused or failed.
 */
@Dependent
@Unremovable
@Command(name = "recover", synopsisHeading = "usage: ", customSynopsis = "recover", description = {
        "Roll back or complete object actions a killed process left half done. Exit 0 all settled, 1 something undecided,"
                + " 2 refused or failed."})
public class RecoverCommand implements Callable<Integer> {

    @Mixin
    HelpOption help;

    @Inject
    RemediationService remediation;

    @Inject
    AccessGate gate;

    @Override
    public Integer call() {
        return GatedRun.run(gate, AccessGate.Work.RECOVER, mode -> {
            List<InterruptedObjectActions.Recovered> results = remediation.recoverInterrupted(mode);
            long undecided = 0;
            for (InterruptedObjectActions.Recovered r : results) {
                String what = switch (r.verdict()) {
                    case ROLL_BACK -> r.done() ? "rolled_back" : "[DRY RUN] would roll back";
                    case COMPLETE -> r.done() ? "completed" : "[DRY RUN] would complete";
                    case UNDECIDED -> "undecided";
                };
                undecided += r.verdict() == ObjectRecovery.Verdict.UNDECIDED ? 1 : 0;
                System.out.println(what + " " + r.action() + " " + r.key() + " (action " + r.actionId() + "): " + r.detail());
            }
            System.out.printf(Locale.ROOT, "%sInterrupted object actions: %d; undecided %d%n", mode instanceof Acting ? "" : "[DRY RUN] ",
                    results.size(), undecided);
            return undecided > 0 ? ExitCode.DRIFT : ExitCode.CLEAN;
        });
    }
}
