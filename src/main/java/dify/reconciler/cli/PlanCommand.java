package dify.reconciler.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.remediate.RemediationService;
import dify.reconciler.remediate.plan.GuardTrip;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.WithheldItem;
import dify.reconciler.remediate.planner.PlanDocument;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.ScanRunner;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jboss.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code plan [--output FILE] [--format json|text]}: scans, updates the ledger and writes the plan; it never changes
 * the daemon's data. Exit 0 no actions, 1 actions planned, 2 failure (a plan is never made from a failed scan).
 */
@Dependent
@Unremovable
@Command(name = "plan", synopsisHeading = "usage: ", customSynopsis = "plan [--output FILE] [--format json|text]", description = {
        "Scan and write the remediation plan; changes nothing of the daemon's. Exit 0 no actions, 1 actions planned,"
                + " 2 failure."})
public class PlanCommand implements Callable<Integer> {

    private static final Logger LOG = Logger.getLogger(PlanCommand.class);

    @Mixin
    HelpOption help;

    @Option(names = {"--output", "-o"}, paramLabel = "FILE", description = "Write the plan to FILE (a text summary goes to stdout);"
            + " without it the plan goes to stdout.")
    Path output;

    @Option(names = {"--format", "-f"}, paramLabel = "json|text", converter = Format.Converter.class, description = "json (default,"
            + " what apply reads) or text.")
    Format format = Format.JSON;

    @Inject
    ScanRunner runner;

    @Inject
    RemediationService remediation;

    @Inject
    ObjectMapper mapper;

    @Override
    public Integer call() {
        try {
            remediation.policy(); // a bad setting fails before the scan
        } catch (IllegalArgumentException e) {
            System.err.println("plan: " + e.getMessage());
            return ExitCode.FAILED;
        }
        ScanReport report = runner.scanIfIdle().orElseThrow(() -> new IllegalStateException("a scan is already running"));
        if (!report.succeeded()) {
            remediation.failedScan(report);
            System.err.println("plan: the scan failed in phase " + report.failedPhase() + ": " + report.error()
                    + "; no plan is made from a failed scan");
            return ExitCode.FAILED;
        }
        try {
            RemediationPlan plan = remediation.plan(report);
            remediation.auditPlanned(plan);
            boolean armedHere = remediation.policy().armed(); // reported only: the plan itself carries no mode
            String rendered = format == Format.JSON ? Rendering.json(mapper, PlanDocument.of(plan)) : text(plan, armedHere);
            if (output == null) {
                Rendering.toStdout(rendered, "plan");
            } else {
                Files.writeString(output, rendered, StandardCharsets.UTF_8);
                System.out.print(text(plan, armedHere));
                System.out.println("Plan written to " + output);
            }
            return plan.actions().isEmpty() ? ExitCode.CLEAN : ExitCode.DRIFT;
        } catch (Exception e) {
            LOG.error("plan failed", e);
            System.err.println("plan failed: " + ScanRunner.describe(e));
            return ExitCode.FAILED;
        }
    }

    /**
     * The plan for people. {@code armedHere} is this process's mode, not the plan's (a plan has none): the usual
     * workflow plans unarmed and applies armed, so the line says what an {@code apply} with this configuration does.
     */
    static String text(RemediationPlan plan, boolean armedHere) {
        StringBuilder sb = new StringBuilder();
        sb.append("Plan ").append(plan.planId()).append(" for ").append(plan.database()).append(", expires ")
                .append(plan.expiresAt()).append('\n').append(modeLine(armedHere)).append('\n');
        for (PlannedAction a : plan.actions()) {
            sb.append("  ").append(a.id()).append(' ').append(a.action().label()).append(' ')
                    .append(a.action().onObject()
                            ? a.key() + (a.targetKey() == null ? "" : " -> " + a.targetKey())
                            : a.table() + "/" + a.rowId())
                    .append(" (").append(a.kind().label()).append("): ").append(a.detail()).append('\n');
        }
        for (GuardTrip g : plan.guards()) {
            sb.append("  GUARD ").append(g.guard().label()).append(": ").append(g.detail()).append('\n');
        }
        sb.append("Actions: ").append(plan.actions().size()).append("; withheld: ").append(plan.withheldTotal()).append('\n');
        for (WithheldItem w : plan.withheld()) {
            sb.append("  withheld ").append(w.reason().label()).append(' ').append(w.kind().label()).append(' ')
                    .append(w.table() != null ? w.table() + "/" + w.rowId() : w.key()).append('\n');
        }
        return sb.toString();
    }

    /** What {@code apply} does with this process's configuration. */
    static String modeLine(boolean armedHere) {
        return armedHere
                ? "Mode: armed here (reconciler.remediation.dry-run=false): apply with this configuration changes the daemon's data"
                : "Mode: dry run here (reconciler.remediation.dry-run is not false): apply with this configuration only shows"
                        + " what it would do";
    }
}
