package dify.reconciler.remediate.record;

import dify.reconciler.remediate.plan.PlannedAction;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;

/**
 * The append-only audit ({@code remediation_actions} in our schema): who (instance, run, plan), what (kind,
 * action, table, row), the changed columns before and after, and the outcome. Applied actions are audited in
 * the transaction that changes the row, so the audit never claims a change that was rolled back.
 */
public final class RemediationAudit {

    private final String table;
    private final String instance;
    private final Clock clock;
    /** Who approved the plan whose actions this audit records (approval=required), or null. */
    private final String approvedBy;

    /** @param auditTable our {@code remediation_actions}, schema-qualified (from StateStore's allow-listed schema) */
    public RemediationAudit(String auditTable, String instance, Clock clock) {
        this(auditTable, instance, clock, null);
    }

    public RemediationAudit(String auditTable, String instance, Clock clock, String approvedBy) {
        this.table = auditTable;
        this.instance = instance;
        this.clock = clock;
        this.approvedBy = approvedBy;
    }

    public void record(Connection c, String planId, String runId, PlannedAction a, String before, String after,
            ActionOutcome outcome, String detail) throws SQLException {
        record(c, a.id(), planId, runId, a.kind().label(), a.action().label(), a.table(), a.rowId(), before, after, outcome, detail);
    }

    public void record(Connection c, String actionId, String planId, String runId, String kind, String action, String tableName,
            String rowId, String before, String after, ActionOutcome outcome, String detail) throws SQLException {
        insert(c, "table_name, row_id", actionId, planId, runId, kind, action, tableName, rowId, before, after, outcome, detail);
    }

    /** An object action's outcome: no table or row, the key (and the copy's target) instead. */
    public void recordObject(Connection c, String actionId, String planId, String runId, String kind, String action,
            String key, String targetKey, String before, String after, ActionOutcome outcome, String detail) throws SQLException {
        insert(c, "object_key, target_key", actionId, planId, runId, kind, action, key, targetKey, before, after, outcome, detail);
    }

    /** @param subjectColumns {@code table_name, row_id} or {@code object_key, target_key}: our two constants, never input */
    private void insert(Connection c, String subjectColumns, String actionId, String planId, String runId, String kind,
            String action, String subject, String secondSubject, String before, String after, ActionOutcome outcome, String detail)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (action_id, run_id, plan_id, instance, kind,"
                + " action, " + subjectColumns + ", before, after, outcome, detail, at, approved_by)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS jsonb), CAST(? AS jsonb), ?, ?, ?, ?)")) {
            ps.setString(1, actionId);
            ps.setString(2, runId);
            ps.setString(3, planId);
            ps.setString(4, instance);
            ps.setString(5, kind);
            ps.setString(6, action);
            ps.setString(7, subject);
            ps.setString(8, secondSubject);
            ps.setString(9, before);
            ps.setString(10, after);
            ps.setString(11, outcome.label());
            ps.setString(12, detail);
            ps.setTimestamp(13, Timestamp.from(clock.instant()));
            ps.setString(14, approvedBy);
            ps.executeUpdate();
        }
    }
}
