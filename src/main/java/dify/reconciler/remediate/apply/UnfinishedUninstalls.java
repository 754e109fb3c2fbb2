package dify.reconciler.remediate.apply;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.remediate.acting.Access;
import dify.reconciler.remediate.acting.Acting;
import dify.reconciler.remediate.objects.ObjectRecovery;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Completes {@code plugin_unreferenced} actions a killed process left between their two steps: the rows (plugins
 * row, declaration, serverless row) committed in quarantine, {@code plugin/U} never moved, so the runtime would
 * keep running on every node without a plugins row. Such an action has an applied audit row for its rows, its
 * plugins row still in quarantine, and neither an object audit row nor a {@code quarantine_objects} entry. Its
 * object step then runs as it would have (same action id, so restoring the action puts back the object, then the
 * rows), through the {@link ObjectRemedyApplier}: re-checked (no plugins row, no install in flight), at the version
 * read now, with the post-move re-check. Only an object at least as old as the rows' quarantine is taken: one
 * written after it is someone else's (the daemon's install since), left to {@code installed_object_orphaned}.
 */
public final class UnfinishedUninstalls {

    private static final Logger LOG = Logger.getLogger(UnfinishedUninstalls.class);

    /** An action whose rows are quarantined and whose object step never ran. */
    record Unfinished(String actionId, String planId, String uid, String pluginId, Instant rowsQuarantinedAt) {
    }

    private final DataSource dataSource;
    private final ObjectStorage storage;
    private final String installedPrefix;
    private final String auditTable;
    private final String rowsTable;
    private final String objectsTable;
    private final Clock clock;

    /** @param auditTable, rowsTable, objectsTable ours, schema-qualified (from StateStore's allow-listed schema) */
    public UnfinishedUninstalls(DataSource dataSource, ObjectStorage storage, String installedPrefix, String auditTable, String rowsTable,
            String objectsTable, Clock clock) {
        this.dataSource = dataSource;
        this.storage = storage;
        this.installedPrefix = installedPrefix;
        this.auditTable = auditTable;
        this.rowsTable = rowsTable;
        this.objectsTable = objectsTable;
        this.clock = clock;
    }

    /** Our records only: the applied plugin_unreferenced actions whose object step never ran. */
    List<Unfinished> find() throws SQLException {
        List<Unfinished> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT q.action_id, min(a.plan_id), min(q.row ->> 'plugin_unique_identifier'),"
                        + " min(q.row ->> 'plugin_id'), min(q.quarantined_at) FROM " + rowsTable + " q JOIN " + auditTable + " a"
                        + " ON a.action_id = q.action_id AND a.kind = ? AND a.outcome = 'applied' AND a.table_name = 'plugins'"
                        + " WHERE q.table_name = 'plugins' AND q.restored_at IS NULL"
                        + " AND NOT EXISTS (SELECT 1 FROM " + objectsTable + " o WHERE o.action_id = q.action_id)"
                        + " AND NOT EXISTS (SELECT 1 FROM " + auditTable + " x WHERE x.action_id = q.action_id"
                        + " AND x.object_key IS NOT NULL) GROUP BY q.action_id ORDER BY min(q.id)")) {
            ps.setString(1, FindingKind.PLUGIN_UNREFERENCED.label());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Unfinished(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getTimestamp(5).toInstant()));
                }
            }
        }
        return out;
    }

    /**
     * Decides (and, when {@code mode} is {@link Acting}, carries out with {@code applier}) each unfinished action's object step. An
     * action without an object to take (none there, or one written since) is left and not listed.
     */
    public List<InterruptedObjectActions.Recovered> complete(Access.Proceed mode, ObjectRemedyApplier applier, InstallRace race,
            String runId)
            throws SQLException {
        List<InterruptedObjectActions.Recovered> out = new ArrayList<>();
        for (Unfinished u : find()) {
            if (u.uid() == null) {
                continue;
            }
            String key = installedPrefix + u.uid();
            Optional<StoredObject> now = storage.head(key);
            if (now.isEmpty() || now.get().lastModified() == null || now.get().lastModified().isAfter(u.rowsQuarantinedAt())) {
                LOG.debugf("recover %s: no %s older than its rows' quarantine: nothing to complete", u.actionId(), key);
                continue;
            }
            String label = RemedyAction.QUARANTINE_OBJECT.label();
            if (!(mode instanceof Acting acting)) {
                out.add(new InterruptedObjectActions.Recovered(u.actionId(), label, key, ObjectRecovery.Verdict.COMPLETE, false,
                        "the rows of plugin_unreferenced are quarantined, " + key + " was never moved: would move it"));
                continue;
            }
            PlannedAction step = new PlannedAction(u.actionId(), FindingKind.PLUGIN_UNREFERENCED, RemedyAction.QUARANTINE_OBJECT,
                    null, null, u.uid(), u.pluginId(), null, "the installed copy of the plugin whose rows this action"
                            + " quarantined before the process was stopped",
                    key, null, now.get().version(), null, null);
            Instant at = clock.instant();
            RemediationPlan plan = new RemediationPlan(u.planId(), at, at.plus(Duration.ofHours(1)), "recover", runId,
                    List.of(step), List.of(), 0);
            // An action applied before: its object step completes even if plugin_unreferenced is no longer listed.
            ActionResult r = applier.apply(plan, acting.completing(FindingKind.PLUGIN_UNREFERENCED), runId).get(0);
            if (r.outcome() == ActionOutcome.APPLIED) {
                out.add(new InterruptedObjectActions.Recovered(u.actionId(), label, key, ObjectRecovery.Verdict.COMPLETE, true,
                        "completed plugin_unreferenced's object step after an interrupted apply: " + r.detail()));
            } else {
                if (r.outcome() == ActionOutcome.SKIPPED_CHANGED) {
                    race.settle(plan, step, runId); // an install in flight gets the declaration it needs back
                }
                // Audited by the applier (an object audit row: not found again); a later scan's finding takes over.
                LOG.infof("recover %s: plugin_unreferenced's object step not completed (%s): %s", u.actionId(),
                        r.outcome().label(), r.detail());
            }
        }
        return out;
    }
}
