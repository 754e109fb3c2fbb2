package dify.reconciler.remediate;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.actor.WriteFence;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.DifyDatabaseSettings;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.remediate.acting.Access;
import dify.reconciler.remediate.acting.Acting;
import dify.reconciler.remediate.acting.GateReadings;
import dify.reconciler.remediate.apply.InstallRace;
import dify.reconciler.remediate.apply.InterruptedObjectActions;
import dify.reconciler.remediate.apply.ObjectRemedyApplier;
import dify.reconciler.remediate.apply.RowRemedyApplier;
import dify.reconciler.remediate.apply.RowRestorer;
import dify.reconciler.remediate.apply.UnfinishedUninstalls;
import dify.reconciler.remediate.guard.Breaker;
import dify.reconciler.remediate.guard.BreakerStatus;
import dify.reconciler.remediate.guard.GuardInputs;
import dify.reconciler.remediate.guard.InputGuards;
import dify.reconciler.remediate.objects.ObjectRecovery;
import dify.reconciler.remediate.objects.ObjectRemedy;
import dify.reconciler.remediate.plan.GuardName;
import dify.reconciler.remediate.plan.GuardTrip;
import dify.reconciler.remediate.plan.GuardTrips;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationCandidate;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.plan.ScanCounts;
import dify.reconciler.remediate.planner.PlanGuards;
import dify.reconciler.remediate.planner.RemediationPlanner;
import dify.reconciler.remediate.planner.Remedies;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.remediate.record.AppliedRowsListener;
import dify.reconciler.remediate.record.AuditLog;
import dify.reconciler.remediate.record.ObjectQuarantine;
import dify.reconciler.remediate.record.QuarantinePrefix;
import dify.reconciler.remediate.record.RemediationAudit;
import dify.reconciler.remediate.record.RowQuarantine;
import dify.reconciler.remediate.rows.RowRemedy;
import dify.reconciler.remediate.write.Step;
import dify.reconciler.remediate.write.StepHook;
import dify.reconciler.remediate.write.WriteTransactions;
import dify.reconciler.report.ScanReport;
import dify.reconciler.state.StateStore;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * Wires remediation to the application: the policy from {@code reconciler.remediation.*}, the candidates (the
 * ledger's open entries when state is persisted, else the report's findings with their in-memory history),
 * the applier and restorer on the service's datasource, the audit and the metric.
 */
@ApplicationScoped
public class RemediationService implements GateReadings {

    private static final Logger LOG = Logger.getLogger(RemediationService.class);

    /** Lock and statement timeouts of every write transaction: the daemon waits behind us, so ours are short. */
    static final Duration LOCK_TIMEOUT = Duration.ofSeconds(2);
    static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(10);

    @Inject
    ReconcilerConfig config;

    /** For the daemon's {@code DB_PASSWORD} (the datasource's), which Dify's database is read with by default. */
    @Inject
    Config settings;

    @Inject
    DaemonSettings daemon;

    @Inject
    StateStore state;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    ObjectMapper mapper;

    @Inject
    Clock clock;

    @Inject
    RemediationActionCounters counters;

    @Inject
    GuardInputs guardInputs;

    @Inject
    Breaker breaker;

    @Inject
    GuardTrips guardTrips;

    /** Clears the daemon's cached rows after each commit (dify.reconciler.cache.CacheInvalidation). */
    @Inject
    AppliedRowsListener cache;

    /** Leadership, checked in every write transaction (see {@link WriteFence}). */
    @Inject
    WriteFence fence;

    @Inject
    ObjectStorage storage;

    /** The configured policy (validated at start by {@code ConfigurationCheck}, so this cannot fail later). */
    @Override
    public RemediationPolicy policy() {
        return RemediationPolicy.of(config.remediation());
    }

    /** Which database plans are made for and applied to (no user, no options). */
    public String database() {
        // The bucket or folder too: a plan made against another bucket must not be applied here (its object keys and
        // versions are another store's). No user, no keys.
        return daemon.databaseIdentity() + " with " + storage.describe();
    }

    /** The plan after a successful scan, with the configured policy. */
    public RemediationPlan plan(ScanReport report) throws SQLException {
        return plan(report, policy());
    }

    /**
     * The plan after a successful scan, with the given policy (the service's own planning will pass its own). The
     * guards come first: untrustworthy inputs or a tripped breaker stop the whole plan; a plan that hits a cap
     * trips the breaker and is stopped too. A failed scan is counted as a trip and refused (no plan at all).
     */
    public RemediationPlan plan(ScanReport report, RemediationPolicy policy) throws SQLException {
        if (!report.succeeded()) {
            failedScan(report);
            throw new IllegalStateException("no plan after a failed scan");
        }
        List<GuardTrip> trips = new ArrayList<>(guardInputs.check(report));
        BreakerStatus before = breaker.status();
        if (before.tripped()) {
            trips.add(new GuardTrip(GuardName.BREAKER, before.describe()));
        }
        RemediationPlan plan = unguarded(report, policy);
        if (trips.isEmpty()) {
            // Inputs trusted: a cap now means more eligible findings than we may act on in one run.
            PlanGuards.capTrip(plan, policy).ifPresent(cap -> {
                breaker.trip(cap, plan.planId(), plan.runId());
                trips.add(cap);
            });
        }
        guardTrips.count(trips, plan.planId());
        return PlanGuards.withheldByGuards(plan, trips);
    }

    /** Counts the {@code failed_scan} trip of a plan refused after a failed scan (callers that refuse before {@link #plan}). */
    public void failedScan(ScanReport report) {
        guardTrips.count(List.of(InputGuards.failedScan(report.failedPhase(), report.error())), "(none)");
    }

    private RemediationPlan unguarded(ScanReport report, RemediationPolicy policy) throws SQLException {
        RemediationPlanner planner = new RemediationPlanner(policy, layout());
        String planId = UUID.randomUUID().toString();
        Map<FindingKind, Long> population = population(report.scope().rowsScanned(), report.scope().objectsListed(), layout());
        // Findings of kinds we will not act on: from the report's list (bounded by its cap), after the ledger's.
        List<RemediationCandidate> others = new ArrayList<>();
        Set<FindingKind> allowed = EnumSet.noneOf(FindingKind.class);
        allowed.addAll(policy.allowed());
        allowed.retainAll(Remedies.remediableKinds());
        boolean persisted = state.persisted();
        for (Finding f : report.findings()) {
            if (!persisted || !allowed.contains(f.kind())) {
                others.add(new RemediationCandidate(f, report.ledger().historyOf(f)));
            }
        }
        if (!persisted || allowed.isEmpty()) {
            return planner.plan(planId, report.runId(), clock.instant(), database(), others.iterator(), population);
        }
        LedgerCandidates ledger = new LedgerCandidates(dataSource, state.table("finding_entries"), state.table("ledger_scans"));
        return ledger.read(report.runId(), allowed, policy.confirmations(), RemediationPlanner.mostCandidatesRead(policy),
                fromLedger -> planner.plan(planId, report.runId(),
                        clock.instant(), database(), concat(fromLedger, others.iterator()), population));
    }

    /**
     * Per kind, the rows or objects it is about, from the scan's counts: the base of {@code max-share}. A missing
     * object's kind counts the prefix it would be copied into, so an emptied prefix allows nothing.
     */
    static Map<FindingKind, Long> population(Map<String, Long> rows, Map<String, Long> listed, StorageLayout layout) {
        return Remedies.population(new ScanCounts(rows, listed, layout));
    }

    /** The daemon's storage layout (the prefixes object remedies are confined to). */
    public StorageLayout layout() {
        return daemon.layout();
    }

    /** The configured quarantine prefix, validated against the layout. */
    public QuarantinePrefix quarantinePrefix() {
        return QuarantinePrefix.of(config.remediation().quarantinePrefix(), layout());
    }

    /**
     * Why quarantine and audit could not be written now, or null when they can. {@link StateStore} only says
     * "persisted" when our role may write every table of our schema, these two included.
     */
    @Override
    public String whyNothingCanBeRecorded() {
        return state.persisted() ? null : "state is in memory (" + state.reason() + ")";
    }

    /** Writes one {@code planned} audit row per action (our schema only); nothing when it cannot be written. */
    public void auditPlanned(RemediationPlan plan) throws SQLException {
        auditPlanned(plan, null);
    }

    /** Like {@link #auditPlanned(RemediationPlan)}, for a plan {@code approvedBy} approved. */
    public void auditPlanned(RemediationPlan plan, String approvedBy) throws SQLException {
        if (plan.actions().isEmpty() || whyNothingCanBeRecorded() != null) {
            return;
        }
        RemediationAudit audit = audit(approvedBy);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            for (PlannedAction a : plan.actions()) {
                audit.record(c, plan.planId(), plan.runId(), a, null, null, ActionOutcome.PLANNED, a.detail());
                counter(a.kind().label(), a.action().label(), ActionOutcome.PLANNED);
            }
        }
    }

    /** An applier for this database (its schema read now, outside any write transaction). */
    public RowRemedyApplier applier() throws SQLException {
        return applier(null);
    }

    private RowRemedyApplier applier(String approvedBy) throws SQLException {
        return new RowRemedyApplier(dataSource, transactions(), state.table("quarantine_rows"), audit(approvedBy), this::counter,
                cache, clock);
    }

    /** The object applier for this database and bucket. */
    public ObjectRemedyApplier objectApplier() throws SQLException {
        return objectApplier(null);
    }

    private ObjectRemedyApplier objectApplier(String approvedBy) throws SQLException {
        return new ObjectRemedyApplier(dataSource, transactions(), storage, quarantinePrefix(), objectQuarantine(),
                audit(approvedBy), this::counter);
    }

    /**
     * Applies a plan: its row actions, then its object actions (each applier passes over the other kind). The
     * service and the {@code apply} command both come here, so neither forgets one kind.
     */
    public List<ActionResult> applyAll(RemediationPlan plan, Access.Proceed mode, String runId) throws SQLException {
        return applyAll(plan, mode, runId, null);
    }

    /** Like {@link #applyAll(RemediationPlan, Access.Proceed, String)}; every audit row names {@code approvedBy} (or null). */
    public List<ActionResult> applyAll(RemediationPlan plan, Access.Proceed mode, String runId, String approvedBy)
            throws SQLException {
        if (!(mode instanceof Acting acting)) {
            // Dry run: the same plan, each action reported as what would be done; nothing read or written.
            List<ActionResult> shown = new ArrayList<>(RowRemedyApplier.dryRun(plan, this::counter));
            shown.addAll(ObjectRemedyApplier.dryRun(plan, this::counter));
            return shown;
        }
        if (whyNothingCanBeRecorded() == null) {
            recoverInterrupted(acting); // a half-done action of a killed process is settled before anything new
        }
        List<ActionResult> results = new ArrayList<>(applier(approvedBy).apply(plan, acting, runId));
        List<PlannedAction> objectActions = new ArrayList<>(plan.actions().stream().filter(a -> a.action().onObject()).toList());
        List<PlannedAction> uninstalled = uninstalledCopies(plan, results);
        if (!uninstalled.isEmpty()) {
            StepHook.reached(Step.PLUGIN_UNREFERENCED_ROWS_QUARANTINED); // rows committed, plugin/U not yet moved
        }
        objectActions.addAll(uninstalled);
        if (!objectActions.isEmpty()) {
            RemediationPlan objects = new RemediationPlan(plan.planId(), plan.createdAt(), plan.expiresAt(),
                    plan.database(), plan.runId(), objectActions, List.of(), 0);
            List<ActionResult> objectResults = applyObjects(objects, acting, runId, approvedBy);
            results.addAll(objectResults);
            installWon(plan, uninstalled, objectResults, runId);
        }
        return results;
    }

    /**
     * The object actions, or, when the database went away during the row actions (the applier reads its schema
     * first), each of them failed without a step taken: the row actions' results are reported all the same.
     */
    private List<ActionResult> applyObjects(RemediationPlan objects, Acting acting, String runId, String approvedBy) {
        ObjectRemedyApplier applier;
        try {
            applier = objectApplier(approvedBy);
        } catch (SQLException e) {
            String why = "not started: the database is unreachable (" + RowRemedyApplier.describe(e) + ")";
            List<ActionResult> failed = new ArrayList<>();
            for (PlannedAction a : objects.actions()) {
                counter(a.kind().label(), a.action().label(), ActionOutcome.FAILED);
                failed.add(new ActionResult(a.id(), a.kind().label(), a.action().label(), null, a.key(), ActionOutcome.FAILED, why));
            }
            return failed;
        }
        return applier.apply(objects, acting, runId);
    }

    /**
     * An install that began after the rows' step of plugin_unreferenced (the daemon read the declaration from its
     * cache) stops the object step; the declaration it needs comes back then too ({@link InstallRace}).
     */
    private void installWon(RemediationPlan plan, List<PlannedAction> steps, List<ActionResult> objectResults, String runId)
            throws SQLException {
        for (PlannedAction step : steps) {
            boolean skipped = objectResults.stream().anyMatch(r -> r.actionId().equals(step.id())
                    && r.outcome() == ActionOutcome.SKIPPED_CHANGED);
            if (skipped) {
                try {
                    installRace().settle(plan, plan.actions().stream().filter(a -> a.id().equals(step.id())).findFirst()
                            .orElse(step), runId);
                } catch (SQLException e) {
                    // The object step is audited skipped; the rows stay in quarantine for restore. The rest of the plan goes on.
                    LOG.errorf(e, "remediation %s: could not put back what the daemon's install needs", step.id());
                }
            }
        }
    }

    InstallRace installRace() throws SQLException {
        return new InstallRace(dataSource, transactions(), state.table("quarantine_rows"), audit(), cache, clock);
    }

    /**
     * {@code plugin_unreferenced}'s second step, as the daemon's last uninstall does it: once the rows are in
     * quarantine (committed), {@code plugin/U} goes too, which stops the runtime on every node. Same action id,
     * so restoring the action puts back the object first, then the rows. Re-checked like an orphaned installed
     * copy (no plugins row, no install in flight) at the version read now, after the rows' commit.
     */
    private List<PlannedAction> uninstalledCopies(RemediationPlan plan, List<ActionResult> rowResults) {
        List<PlannedAction> steps = new ArrayList<>();
        for (PlannedAction a : plan.actions()) {
            if (a.action().onObject() || a.pluginUniqueIdentifier() == null || rowResults.stream()
                    .noneMatch(r -> r.actionId().equals(a.id()) && r.outcome() == ActionOutcome.APPLIED)) {
                continue;
            }
            RowRemedy remedy = Remedies.rows(a);
            ObjectRemedy next = remedy.followingObject();
            if (next == null) {
                continue;
            }
            String key = remedy.followingKey(a, layout());
            storage.head(key).ifPresent(o -> steps.add(new PlannedAction(a.id(), a.kind(), next.action(), null, null,
                    a.pluginUniqueIdentifier(), a.pluginId(), a.tenantId(),
                    "the installed copy of the plugin whose rows this action quarantined", key, null, o.version())));
        }
        return steps;
    }

    /**
     * Rolls back or completes object actions a killed process left half done (see {@link ObjectRecovery}), then
     * completes plugin_unreferenced actions stopped between their rows and plugin/U ({@link UnfinishedUninstalls});
     * in a dry run, only decides. Each recovery is audited under a run id of its own.
     */
    public List<InterruptedObjectActions.Recovered> recoverInterrupted(Access.Proceed mode) throws SQLException {
        String runId = UUID.randomUUID().toString();
        List<InterruptedObjectActions.Recovered> out = new ArrayList<>(new InterruptedObjectActions(dataSource, storage,
                objectQuarantine(), audit(), this::counter).recover(mode, runId));
        out.addAll(new UnfinishedUninstalls(dataSource, storage, layout().installed(), state.table("remediation_actions"),
                state.table("quarantine_rows"), state.table("quarantine_objects"), clock).complete(mode, objectApplier(), installRace(),
                        runId));
        return out;
    }

    /** Restore and purge of quarantined objects ({@link ObjectQuarantine#purge} is for the purge command). */
    public ObjectQuarantine objectQuarantine() {
        return new ObjectQuarantine(dataSource, storage, state.table("quarantine_objects"), audit(), this::counter, clock, fence);
    }

    public RowRestorer restorer() throws SQLException {
        return new RowRestorer(dataSource, transactions(), state.table("quarantine_rows"), audit(), this::counter, cache, mapper,
                clock);
    }

    /** The quarantined rows (our schema only: no daemon table is read). */
    public RowQuarantine rowQuarantine() {
        return new RowQuarantine(dataSource, state.table("quarantine_rows"), audit(), this::counter);
    }

    /** The audit, for reading. */
    public AuditLog auditLog() {
        return new AuditLog(dataSource, state.table("remediation_actions"));
    }

    private WriteTransactions transactions() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            DaemonSchema schema = DaemonSchema.inspect(c, config.databaseSchema().orElse(null), daemon.databaseDescription());
            WriteTransactions tx = new WriteTransactions(schema, LOCK_TIMEOUT, STATEMENT_TIMEOUT, fence);
            // installation_tenant_missing re-checks Dify's workspaces where the scan read them, with its credentials.
            DifyDatabaseSettings.from(config, daemon, settings.getOptionalValue("quarkus.datasource.password", String.class))
                    .ifPresent(tx::withDifyWorkspaces);
            return tx;
        }
    }

    private RemediationAudit audit() {
        return audit(null);
    }

    private RemediationAudit audit(String approvedBy) {
        return new RemediationAudit(state.table("remediation_actions"), instance(), clock, approvedBy);
    }

    private void counter(String kind, String action, ActionOutcome outcome) {
        counters.counter(kind, action, outcome).increment();
    }

    private static String instance() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }

    private static <T> Iterator<T> concat(Iterator<T> a, Iterator<T> b) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return a.hasNext() || b.hasNext();
            }

            @Override
            public T next() {
                return a.hasNext() ? a.next() : b.next();
            }
        };
    }
}
