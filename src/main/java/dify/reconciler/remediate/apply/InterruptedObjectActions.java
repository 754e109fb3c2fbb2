package dify.reconciler.remediate.apply;

import dify.reconciler.inventory.storage.ObjectChangedException;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.remediate.acting.Access;
import dify.reconciler.remediate.acting.Acting;
import dify.reconciler.remediate.objects.ObjectRecovery;
import dify.reconciler.remediate.record.ActionListener;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ObjectQuarantine;
import dify.reconciler.remediate.record.RemediationAudit;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Settles object actions a killed process left half done: reads their incomplete {@code quarantine_objects}
 * entries and what the store holds now, lets {@link ObjectRecovery} decide, then acts (delete our quarantine
 * copy and forget the entries, or record the written version and mark them complete) and audits the action
 * {@code failed} (rolled back) or {@code applied} (completed). Undecided actions are left alone and reported.
 * In a dry run ({@link Access.DryRun}) it only says what it would do.
 */
public final class InterruptedObjectActions {

    private static final Logger LOG = Logger.getLogger(InterruptedObjectActions.class);

    /** One action's recovery: its decision, and whether it was carried out. */
    public record Recovered(String actionId, String action, String key, ObjectRecovery.Verdict verdict, boolean done,
            String detail) {
    }

    private final DataSource dataSource;
    private final ObjectStorage storage;
    private final ObjectQuarantine quarantine;
    private final RemediationAudit audit;
    private final ActionListener listener;

    public InterruptedObjectActions(DataSource dataSource, ObjectStorage storage, ObjectQuarantine quarantine,
            RemediationAudit audit, ActionListener listener) {
        this.dataSource = dataSource;
        this.storage = storage;
        this.quarantine = quarantine;
        this.audit = audit;
        this.listener = listener;
    }

    /**
     * Decides (and, when {@code mode} is {@link Acting}, carries out) the recovery of every half-done action, oldest first.
     *
     * @param runId the audit's run id for this recovery
     */
    public List<Recovered> recover(Access.Proceed mode, String runId) throws SQLException {
        Map<String, List<ObjectRecovery.Seen>> byAction = new LinkedHashMap<>();
        for (ObjectQuarantine.Entry e : quarantine.incomplete()) {
            StoredObject atKey = storage.head(e.originalKey()).orElse(null);
            StoredObject atQuarantine = e.quarantineKey() == null ? null : storage.head(e.quarantineKey()).orElse(null);
            byAction.computeIfAbsent(e.actionId(), k -> new ArrayList<>())
                    .add(new ObjectRecovery.Seen(e, atKey, atQuarantine, putBack(e, atKey, atQuarantine)));
        }
        List<Recovered> out = new ArrayList<>();
        for (List<ObjectRecovery.Seen> seen : byAction.values()) {
            ObjectRecovery.Decision d = ObjectRecovery.decide(seen);
            if (!(mode instanceof Acting) || d.verdict() == ObjectRecovery.Verdict.UNDECIDED) {
                if (d.verdict() == ObjectRecovery.Verdict.UNDECIDED) {
                    LOG.warnf("recover %s (%s %s): %s", d.actionId(), d.action(), d.key(), d.detail());
                }
                out.add(new Recovered(d.actionId(), d.action(), d.key(), d.verdict(), false, d.detail()));
                continue;
            }
            out.add(carryOut(d, runId));
        }
        return out;
    }

    /**
     * Whether a quarantined entry's key holds again exactly the bytes of its quarantine copy (the applier put them back
     * because the daemon installed meanwhile) although its version is not the recorded one: on Azure every write,
     * a put-back too, gets a new ETag. Read and compared byte for byte, only when the sizes say it can be so.
     */
    private boolean putBack(ObjectQuarantine.Entry e, StoredObject atKey, StoredObject atQuarantine) {
        if (e.created() || atKey == null || atQuarantine == null || e.size() == null || atKey.size() != e.size()
                || atQuarantine.size() != e.size() || ObjectQuarantine.sameAsRecorded(atKey, e)) {
            return false;
        }
        try (InputStream key = storage.open(atKey.key()); InputStream copy = storage.open(atQuarantine.key())) {
            byte[] a = new byte[65536];
            byte[] b = new byte[65536];
            while (true) {
                int n = key.readNBytes(a, 0, a.length);
                int m = copy.readNBytes(b, 0, b.length);
                if (n != m || !Arrays.equals(a, 0, n, b, 0, m)) {
                    return false;
                }
                if (n == 0) {
                    return true;
                }
            }
        } catch (IOException | RuntimeException ex) {
            LOG.warnf("recover %s: cannot compare '%s' with its quarantine copy (%s): left to the version check", e.actionId(),
                    e.originalKey(), ex.toString());
            return false;
        }
    }

    private Recovered carryOut(ObjectRecovery.Decision d, String runId) throws SQLException {
        quarantine.fenced(); // no step of ours after the actor lock is gone
        try {
            for (StoredObject copy : d.deleteCopies()) {
                storage.delete(copy); // guarded by its version: a copy changed since it was read stays
            }
        } catch (ObjectChangedException e) {
            String why = "not recovered: our quarantine copy changed while it was removed: " + e.getMessage();
            LOG.warnf("recover %s: %s", d.actionId(), why);
            return new Recovered(d.actionId(), d.action(), d.key(), ObjectRecovery.Verdict.UNDECIDED, false, why);
        }
        for (ObjectRecovery.Created c : d.record()) {
            quarantine.recordCreated(c.entryId(), c.written());
        }
        ActionOutcome outcome = d.verdict() == ObjectRecovery.Verdict.ROLL_BACK ? ActionOutcome.FAILED : ActionOutcome.APPLIED;
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            audit.recordObject(c, d.actionId(), "recover", runId, "recover", d.action(), d.key(), null, null, null, outcome,
                    d.detail());
        }
        // Forgotten or completed last: a process killed before this point recovers the same way again.
        for (long id : d.forget()) {
            quarantine.forget(id);
        }
        if (d.verdict() == ObjectRecovery.Verdict.COMPLETE) {
            quarantine.complete(d.actionId());
        }
        listener.outcome("recover", d.action(), outcome);
        LOG.infof("recover %s (%s %s): %s", d.actionId(), d.action(), d.key(), d.detail());
        return new Recovered(d.actionId(), d.action(), d.key(), d.verdict(), true, d.detail());
    }
}
