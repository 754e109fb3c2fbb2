package dify.reconciler.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dify.reconciler.cache.CacheInvalidation;
import dify.reconciler.leader.CommandLock;
import dify.reconciler.remediate.ActingPermission;
import dify.reconciler.remediate.ActionOutcome;
import dify.reconciler.remediate.ActionResult;
import dify.reconciler.remediate.Breaker;
import dify.reconciler.remediate.BreakerStatus;
import dify.reconciler.remediate.GuardTrip;
import dify.reconciler.remediate.InterruptedObjectActions;
import dify.reconciler.remediate.ObjectRecovery;
import dify.reconciler.remediate.PlanDocument;
import dify.reconciler.remediate.PlannedAction;
import dify.reconciler.remediate.QuarantinePurge;
import dify.reconciler.remediate.RemediationPlan;
import dify.reconciler.remediate.RemediationPolicy;
import dify.reconciler.remediate.RemediationService;
import dify.reconciler.remediate.Restores;
import dify.reconciler.remediate.RowQuarantine;
import dify.reconciler.remediate.WithheldItem;
import dify.reconciler.state.StateStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The one-shot remediation commands. {@code plan [--output FILE] [--format json|text]} scans, updates the
 * ledger and writes the plan; it never changes the daemon's data (exit 0 no actions, 1 actions planned, 2
 * failure). {@code apply --plan FILE} applies that plan's actions that are still allowed, each re-checked
 * (exit 0 all applied or skipped as changed, 1 one failed, 2 refused). {@code restore (--action ID | --run RUN_ID
 * | --all)} puts quarantined rows back (exit 0 all restored, 1 one refused or failed, 2 refused). {@code recover}
 * settles object actions a killed process left half done (apply does it first too). {@code purge}
 * deletes quarantined rows past the retention; {@code quarantine list} shows what is quarantined. Not armed, apply and
 * restore print what they would do and write nothing. Standard output is their interface, as for {@code scan}.
 * Armed, the commands that write hold the service leader's advisory lock while they run ({@link CommandLock}):
 * while an armed service leads, or another command acts, they refuse (exit 2) and write nothing.
 */
@ApplicationScoped
public class RemediationCommand {

    private static final Logger LOG = Logger.getLogger(RemediationCommand.class);

    @Inject
    ScanRunner runner;

    @Inject
    RemediationService remediation;

    @Inject
    StateStore state;

    @Inject
    ObjectMapper mapper;

    @Inject
    Clock clock;

    /** May this process act: in a one-shot command, while it holds the actor lock ({@code leader.LeaderPermission}). */
    @Inject
    ActingPermission permission;

    @Inject
    Breaker breaker;

    @Inject
    CacheInvalidation cache;

    @Inject
    Restores restores;

    @Inject
    QuarantinePurge purge;

    /** One actor: the commands that write hold the leader's lock while they run, or refuse (exit 2). */
    @Inject
    CommandLock actorLock;

    private static final int QUARANTINE_PAGE = 1000;

    public int plan(String... args) {
        Path output = null;
        String format = "json";
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--output", "-o" -> output = Path.of(value(args, ++i, "--output"));
                    case "--format", "-f" -> format = value(args, ++i, "--format").toLowerCase(Locale.ROOT);
                    default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
                }
            }
            if (!format.equals("json") && !format.equals("text")) {
                throw new IllegalArgumentException("--format must be json or text, not '" + format + "'");
            }
            remediation.policy(); // a bad setting fails before the scan
        } catch (IllegalArgumentException e) {
            System.err.println("plan: " + e.getMessage());
            System.err.println("usage: plan [--output FILE] [--format json|text]");
            return ScanCommand.EXIT_FAILED;
        }
        ScanReport report = runner.scanIfIdle().orElseThrow(() -> new IllegalStateException("a scan is already running"));
        if (!report.succeeded()) {
            remediation.failedScan(report);
            System.err.println("plan: the scan failed in phase " + report.failedPhase() + ": " + report.error()
                    + "; no plan is made from a failed scan");
            return ScanCommand.EXIT_FAILED;
        }
        try {
            RemediationPlan plan = remediation.plan(report);
            remediation.auditPlanned(plan);
            String rendered = "json".equals(format)
                    ? mapper.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(PlanDocument.of(plan)) + "\n"
                    : text(plan);
            if (output == null) {
                System.out.print(rendered);
                System.out.flush();
                if (System.out.checkError()) {
                    throw new IOException("standard output refused the plan");
                }
            } else {
                Files.writeString(output, rendered, StandardCharsets.UTF_8);
                System.out.print(text(plan));
                System.out.println("Plan written to " + output);
            }
            return plan.actions().isEmpty() ? ScanCommand.EXIT_CLEAN : ScanCommand.EXIT_DRIFT;
        } catch (Exception e) {
            LOG.error("plan failed", e);
            System.err.println("plan failed: " + ScanRunner.describe(e));
            return ScanCommand.EXIT_FAILED;
        }
    }

    public int apply(String... args) {
        Path file = null;
        Path output = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--plan") && i + 1 < args.length) {
                file = Path.of(args[++i]);
            } else if ((args[i].equals("--output") || args[i].equals("-o")) && i + 1 < args.length) {
                output = Path.of(args[++i]);
            } else {
                System.err.println("usage: apply --plan FILE [--output FILE]");
                return ScanCommand.EXIT_FAILED;
            }
        }
        if (file == null) {
            System.err.println("usage: apply --plan FILE [--output FILE]");
            return ScanCommand.EXIT_FAILED;
        }
        Path planFile = file;
        Path resultsFile = output;
        return withActorLock("apply", lock -> {
            RemediationPolicy policy = remediation.policy();
            RemediationPlan plan = mapper.readValue(planFile.toFile(), PlanDocument.class).toPlan(remediation.layout());
            if (policy.armed()) {
                lock.take();
            }
            String refusal = refusal(plan, policy);
            if (refusal != null) {
                System.err.println("apply: refused: " + refusal);
                return ScanCommand.EXIT_FAILED;
            }
            String runId = UUID.randomUUID().toString();
            List<ActionResult> results = remediation.applyAll(plan, policy, runId);
            cache.awaitSecondDeletes(); // a few seconds at most, so the lines below say what both deletes did
            for (ActionResult r : results) {
                System.out.println(line(r, r.outcome() == ActionOutcome.DRY_RUN ? "[DRY RUN] would " + r.action() : r.outcome().label())
                        + cacheLine(r));
            }
            if (resultsFile != null) {
                // Every action's outcome as JSON, for a pipeline or a ticket (the lines above are for people).
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("planId", plan.planId());
                doc.put("armed", policy.armed());
                doc.put("results", results);
                Files.writeString(resultsFile, mapper.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc) + "\n",
                        StandardCharsets.UTF_8);
            }
            long failed = results.stream().filter(r -> r.outcome() == ActionOutcome.FAILED).count();
            System.out.printf(Locale.ROOT, "%s: %d action(s); applied %d, skipped_changed %d, failed %d, dry_run %d, withheld %d%n",
                    policy.armed() ? "Applied plan " + plan.planId() : "[DRY RUN] plan " + plan.planId() + " (nothing changed)",
                    results.size(), count(results, ActionOutcome.APPLIED), count(results, ActionOutcome.SKIPPED_CHANGED), failed,
                    count(results, ActionOutcome.DRY_RUN), count(results, ActionOutcome.WITHHELD));
            return failed > 0 ? ScanCommand.EXIT_DRIFT : ScanCommand.EXIT_CLEAN;
        });
    }

    /** The body of a command that may write: it takes the actor lock (see {@link CommandLock}) when it is armed. */
    @FunctionalInterface
    private interface WritingCommand {
        int run(ActorLockTaker lock) throws Exception;
    }

    /** Takes the actor lock for one command run and remembers the hold, so {@link #withActorLock} releases it. */
    private final class ActorLockTaker {
        private final String command;
        private CommandLock.Hold hold = CommandLock.Hold.NONE;

        private ActorLockTaker(String command) {
            this.command = command;
        }

        void take() throws CommandLock.Refused {
            hold = actorLock.acquire(command);
        }
    }

    /**
     * Runs a writing command: a refused lock is exit 2 with the reason, any failure exit 2 with its cause (logged
     * with the exception), and the lock is released however the body ends.
     */
    private int withActorLock(String command, WritingCommand body) {
        ActorLockTaker lock = new ActorLockTaker(command);
        try {
            return body.run(lock);
        } catch (CommandLock.Refused e) {
            System.err.println(command + ": refused: " + e.getMessage());
            return ScanCommand.EXIT_FAILED;
        } catch (Exception e) {
            LOG.error(command + " failed", e);
            System.err.println(command + " failed: " + ScanRunner.describe(e));
            return ScanCommand.EXIT_FAILED;
        } finally {
            lock.hold.close();
        }
    }

    /** Why this plan must not be applied here and now; null when it may. */
    String refusal(RemediationPlan plan, RemediationPolicy policy) throws SQLException {
        if (plan.expired(clock.instant())) {
            return "the plan expired at " + plan.expiresAt() + " (reconciler.remediation.plan-ttl); make a new one";
        }
        if (!plan.database().equals(remediation.database())) {
            return "the plan was made for " + plan.database() + ", this is " + remediation.database();
        }
        BreakerStatus breakerStatus = breaker.status();
        if (breakerStatus.tripped()) {
            return "the remediation breaker is " + breakerStatus.describe();
        }
        String unrecorded = policy.armed() ? remediation.whyNothingCanBeRecorded() : null;
        if (unrecorded != null) {
            return "armed remediation needs persisted state it can write (quarantine and audit live in our schema): " + unrecorded;
        }
        if (policy.armed() && !permission.mayAct()) {
            return "this process may not act now (not the leader)";
        }
        return null;
    }

    public int restore(String... args) {
        String action = null;
        String run = null;
        boolean all = false;
        boolean valid = true;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--action") && i + 1 < args.length) {
                action = args[++i];
            } else if (args[i].equals("--run") && i + 1 < args.length) {
                run = args[++i];
            } else if (args[i].equals("--all")) {
                all = true;
            } else {
                valid = false;
            }
        }
        if (!valid || (action != null ? 1 : 0) + (run != null ? 1 : 0) + (all ? 1 : 0) != 1) {
            System.err.println("usage: restore (--action ID | --run RUN_ID | --all)");
            return ScanCommand.EXIT_FAILED;
        }
        Restores.Selection selection = new Restores.Selection(action, run);
        return withActorLock("restore", lock -> {
            RemediationPolicy policy = remediation.policy();
            if (!state.persisted()) {
                System.err.println(
                        "restore: refused: state is in memory (" + state.reason() + "), so there is no quarantine to restore from");
                return ScanCommand.EXIT_FAILED;
            }
            if (!policy.armed()) {
                // Restore changes the daemon's tables too: only armed.
                for (ActionResult r : restores.pending(selection)) {
                    System.out.println(line(r, "[DRY RUN] would restore"));
                }
                System.out.println("[DRY RUN] nothing restored (reconciler.remediation.dry-run is not false)");
                return ScanCommand.EXIT_CLEAN;
            }
            lock.take();
            String refusal = restores.refusal(policy);
            if (refusal != null) {
                System.err.println("restore: refused: " + refusal);
                return ScanCommand.EXIT_FAILED;
            }
            List<ActionResult> results = restores.restore(selection);
            cache.awaitSecondDeletes();
            results.forEach(r -> System.out.println(line(r, r.outcome().label()) + cacheLine(r)));
            long restored = count(results, ActionOutcome.RESTORED);
            System.out.printf(Locale.ROOT, "Restored %d of %d quarantined row(s) and object(s)%n", restored, results.size());
            return restored == results.size() ? ScanCommand.EXIT_CLEAN : ScanCommand.EXIT_DRIFT;
        });
    }

    /**
     * {@code recover}: rolls back or completes object actions a killed process left half done (apply does it
     * first too). Unarmed it prints what it would do. Exit 0 nothing to do or all settled, 1 something left
     * undecided (reported, left alone), 2 refused or failed.
     */
    public int recover(String... args) {
        if (args.length > 0) {
            System.err.println("usage: recover");
            return ScanCommand.EXIT_FAILED;
        }
        return withActorLock("recover", lock -> {
            RemediationPolicy policy = remediation.policy();
            String unrecorded = remediation.whyNothingCanBeRecorded();
            if (unrecorded != null) {
                System.err.println("recover: refused: " + unrecorded + ", so no action was recorded");
                return ScanCommand.EXIT_FAILED;
            }
            if (policy.armed()) {
                lock.take();
            }
            if (policy.armed() && !permission.mayAct()) {
                System.err.println("recover: refused: this process may not act now (not the leader)");
                return ScanCommand.EXIT_FAILED;
            }
            List<InterruptedObjectActions.Recovered> results = remediation.recoverInterrupted(policy.armed());
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
            System.out.printf(Locale.ROOT, "%sInterrupted object actions: %d; undecided %d%n", policy.armed() ? "" : "[DRY RUN] ",
                    results.size(), undecided);
            return undecided > 0 ? ScanCommand.EXIT_DRIFT : ScanCommand.EXIT_CLEAN;
        });
    }

    /**
     * {@code purge}: deletes quarantined items older than {@code reconciler.remediation.retention} that were not
     * restored (they can no longer be undone). Unarmed it prints how many it would purge. Exit 0 done, 2 refused.
     */
    public int purge(String... args) {
        if (args.length > 0) {
            System.err.println("usage: purge");
            return ScanCommand.EXIT_FAILED;
        }
        return withActorLock("purge", lock -> {
            RemediationPolicy policy = remediation.policy();
            String unrecorded = remediation.whyNothingCanBeRecorded();
            if (unrecorded != null) {
                System.err.println("purge: refused: " + unrecorded + ", so there is no quarantine to purge");
                return ScanCommand.EXIT_FAILED;
            }
            if (!policy.armed()) {
                for (QuarantinePurge.Result r : purge.purgeable()) {
                    System.out.printf(Locale.ROOT, "[DRY RUN] would purge %d quarantined %s (quarantined before %s)%n", r.items(),
                            r.store(), purge.cutoff());
                }
                System.out.println("[DRY RUN] nothing purged (reconciler.remediation.dry-run is not false)");
                return ScanCommand.EXIT_CLEAN;
            }
            lock.take();
            if (!permission.mayAct()) {
                System.err.println("purge: refused: this process may not act now (not the leader)");
                return ScanCommand.EXIT_FAILED;
            }
            Instant cutoff = purge.cutoff();
            for (QuarantinePurge.Result r : purge.purge()) {
                System.out.printf(Locale.ROOT, "Purged %d quarantined %s (quarantined before %s, not restored)%n", r.items(),
                        r.store(), cutoff);
            }
            return ScanCommand.EXIT_CLEAN;
        });
    }

    /** {@code quarantine list [--format json|text]}: quarantined items neither restored nor purged, oldest first. */
    public int quarantine(String... args) {
        String format = "text";
        boolean valid = args.length > 0 && args[0].equals("list");
        for (int i = 1; valid && i < args.length; i++) {
            if ((args[i].equals("--format") || args[i].equals("-f")) && i + 1 < args.length) {
                format = args[++i].toLowerCase(Locale.ROOT);
            } else {
                valid = false;
            }
        }
        if (!valid || !(format.equals("json") || format.equals("text"))) {
            System.err.println("usage: quarantine list [--format json|text]");
            return ScanCommand.EXIT_FAILED;
        }
        try {
            String unrecorded = remediation.whyNothingCanBeRecorded();
            if (unrecorded != null) {
                System.err.println("quarantine: " + unrecorded + ", so there is no quarantine");
                return ScanCommand.EXIT_FAILED;
            }
            RowQuarantine rows = remediation.rowQuarantine();
            List<RowQuarantine.Item> items = new ArrayList<>();
            for (int offset = 0;; offset += QUARANTINE_PAGE) {
                List<RowQuarantine.Item> page = rows.page(offset, QUARANTINE_PAGE);
                items.addAll(page);
                if (page.size() < QUARANTINE_PAGE) {
                    break;
                }
            }
            if (format.equals("json")) {
                List<Map<String, String>> docs = new ArrayList<>();
                for (RowQuarantine.Item i : items) {
                    Map<String, String> d = new LinkedHashMap<>();
                    d.put("store", "rows");
                    d.put("actionId", i.actionId());
                    d.put("action", i.action());
                    d.put("table", i.table());
                    d.put("rowId", i.rowId());
                    d.put("quarantinedAt", i.quarantinedAt().toString());
                    docs.add(d);
                }
                System.out.println(mapper.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(Map.of("items", docs)));
            } else {
                for (RowQuarantine.Item i : items) {
                    System.out.println("rows " + i.table() + "/" + i.rowId() + " (" + i.action() + ", action " + i.actionId()
                            + ") since " + i.quarantinedAt());
                }
                System.out.printf(Locale.ROOT, "Quarantined: %d row(s) not restored%n", items.size());
            }
            return ScanCommand.EXIT_CLEAN;
        } catch (Exception e) {
            LOG.error("quarantine list failed", e);
            System.err.println("quarantine list failed: " + ScanRunner.describe(e));
            return ScanCommand.EXIT_FAILED;
        }
    }

    static String text(RemediationPlan plan) {
        StringBuilder sb = new StringBuilder();
        sb.append("Plan ").append(plan.planId()).append(" for ").append(plan.database()).append(", expires ")
                .append(plan.expiresAt()).append(plan.dryRun() ? " (dry run: apply will only show it)" : " (armed)").append('\n');
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

    private static String line(ActionResult r, String what) {
        return what + " " + (r.table() == null ? "" : r.table() + "/") + r.rowId() + " (action " + r.actionId()
                + (r.kind() == null ? "" : ", " + r.kind())
                + ")" + (r.detail() == null ? "" : ": " + r.detail());
    }

    /** The daemon's cache for an applied or restored action, on its own indented line; empty for other outcomes. */
    private String cacheLine(ActionResult r) {
        if (r.outcome() != ActionOutcome.APPLIED && r.outcome() != ActionOutcome.RESTORED) {
            return "";
        }
        return cache.note(r.actionId()).map(n -> System.lineSeparator() + "    cache: " + n).orElse("");
    }

    private static long count(List<ActionResult> results, ActionOutcome outcome) {
        return results.stream().filter(r -> r.outcome() == outcome).count();
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}
