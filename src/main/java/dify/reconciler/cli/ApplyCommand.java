package dify.reconciler.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.cache.CacheInvalidation;
import dify.reconciler.remediate.RemediationService;
import dify.reconciler.remediate.acting.AccessGate;
import dify.reconciler.remediate.acting.Acting;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.planner.PlanDocument;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code apply --plan FILE [--output FILE]}: applies that plan's actions that are still allowed, each re-checked.
 * Exit 0 all applied or skipped as changed, 1 one failed, 2 refused. Not armed, it prints what it would do and writes
 * nothing. Armed, the {@link AccessGate} gives it the service leader's advisory lock for as long as it runs: while an
 * armed service leads, or another command acts, it refuses (exit 2) and writes nothing.
 */
@Dependent
@Unremovable
@Command(name = "apply", synopsisHeading = "usage: ", customSynopsis = "apply --plan FILE [--output FILE]", description = {
        "Apply a plan's actions, each re-checked (armed), or show them (not armed). Exit 0 all applied or skipped as changed,"
                + " 1 one failed, 2 refused."})
public class ApplyCommand implements Callable<Integer> {

    @Mixin
    HelpOption help;

    @Option(names = "--plan", required = true, paramLabel = "FILE", description = "The plan file 'plan --output' wrote.")
    Path planFile;

    @Option(names = {"--output", "-o"}, paramLabel = "FILE", description = "Also write every action's outcome to FILE as JSON.")
    Path resultsFile;

    @Inject
    RemediationService remediation;

    @Inject
    ObjectMapper mapper;

    @Inject
    Clock clock;

    @Inject
    CacheInvalidation cache;

    /** Armed or not, breaker, state, actor lock, leader: decided once, before anything is applied. */
    @Inject
    AccessGate gate;

    @Override
    public Integer call() {
        return GatedRun.run(gate, AccessGate.Work.APPLY, mode -> {
            boolean acting = mode instanceof Acting;
            RemediationPlan plan = mapper.readValue(planFile.toFile(), PlanDocument.class).toPlan(remediation.layout());
            String refusal = refusal(plan);
            if (refusal != null) {
                System.err.println("apply: refused: " + refusal);
                return ExitCode.FAILED;
            }
            String runId = UUID.randomUUID().toString();
            List<ActionResult> results = remediation.applyAll(plan, mode, runId);
            cache.awaitSecondDeletes(); // a few seconds at most, so the lines below say what both deletes did
            for (ActionResult r : results) {
                System.out.println(Rendering.line(r,
                        r.outcome() == ActionOutcome.DRY_RUN ? "[DRY RUN] would " + r.action() : r.outcome().label())
                        + Rendering.cacheLine(cache, r));
            }
            if (resultsFile != null) {
                // Every action's outcome as JSON, for a pipeline or a ticket (the lines above are for people).
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("planId", plan.planId());
                doc.put("armed", acting);
                doc.put("results", results);
                Files.writeString(resultsFile, Rendering.json(mapper, doc), StandardCharsets.UTF_8);
            }
            long failed = Rendering.count(results, ActionOutcome.FAILED);
            System.out.printf(Locale.ROOT, "%s: %d action(s); applied %d, skipped_changed %d, failed %d, dry_run %d, withheld %d%n",
                    acting ? "Applied plan " + plan.planId() : "[DRY RUN] plan " + plan.planId() + " (nothing changed)",
                    results.size(), Rendering.count(results, ActionOutcome.APPLIED),
                    Rendering.count(results, ActionOutcome.SKIPPED_CHANGED), failed,
                    Rendering.count(results, ActionOutcome.DRY_RUN), Rendering.count(results, ActionOutcome.WITHHELD));
            return failed > 0 ? ExitCode.DRIFT : ExitCode.CLEAN;
        });
    }

    /** Why this plan must not be applied here, whatever the gate says; null when it may. */
    String refusal(RemediationPlan plan) {
        if (plan.expired(clock.instant())) {
            return "the plan expired at " + plan.expiresAt() + " (reconciler.remediation.plan-ttl); make a new one";
        }
        if (!plan.database().equals(remediation.database())) {
            return "the plan was made for " + plan.database() + ", this is " + remediation.database();
        }
        return null;
    }
}
