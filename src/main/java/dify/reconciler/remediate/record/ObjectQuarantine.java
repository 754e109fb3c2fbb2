package dify.reconciler.remediate.record;

import dify.reconciler.actor.WriteFence;
import dify.reconciler.inventory.storage.ObjectChangedException;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.write.WriteTransactions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Our record of the objects remediation touched ({@code quarantine_objects}), and what undoes or ends it:
 * {@link #restore} copies quarantined bytes back to their original key when that key is free (refusing when
 * something different is there now) and deletes objects we created (only if unchanged since); {@link #purge}
 * deletes quarantined copies past retention. Each entry is its own step; rows are written with autocommit and
 * never while a storage request is in flight.
 */
public final class ObjectQuarantine {

    private static final Logger LOG = Logger.getLogger(ObjectQuarantine.class);

    /** One row of {@code quarantine_objects}. */
    public record Entry(long id, String actionId, String action, String originalKey, String quarantineKey, Long size, String etag,
            Instant lastModified, boolean created) {

        /** The object as recorded: the old object (quarantined) or the one we wrote (created). */
        public StoredObject recorded() {
            return new StoredObject(originalKey, size == null ? -1 : size, lastModified, etag);
        }
    }

    private final DataSource dataSource;
    private final ObjectStorage storage;
    private final String table;
    private final RemediationAudit audit;
    private final ActionListener listener;
    private final Clock clock;
    private final WriteFence fence;

    /**
     * @param table our {@code quarantine_objects}, schema-qualified
     * @param fence checked before each entry's storage step of restore, purge and recovery, as row transactions check
     *        it: a process whose actor lock is gone writes nothing more to the bucket
     */
    public ObjectQuarantine(DataSource dataSource, ObjectStorage storage, String table, RemediationAudit audit,
            ActionListener listener, Clock clock, WriteFence fence) {
        this.dataSource = dataSource;
        this.storage = storage;
        this.table = table;
        this.audit = audit;
        this.listener = listener;
        this.clock = clock;
        this.fence = fence;
    }

    /**
     * Throws when this process may no longer write (see {@link WriteFence}): called before each entry's storage
     * step. The object applier's steps need no call: each action's committed re-check transaction checks the fence.
     */
    public void fenced() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            fence.check(c);
        }
    }

    // --- records (used by ObjectRemedyApplier) ---

    /** Records the intent before the storage write; returns the entry's id. */
    public long recordIntent(PlannedAction a, String originalKey, String quarantineKey, StoredObject version, boolean created)
            throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (action_id, action, original_key,"
                        + " quarantine_key, size, etag, last_modified, created, quarantined_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        Statement.RETURN_GENERATED_KEYS)) {
            c.setAutoCommit(true);
            ps.setString(1, a.id());
            ps.setString(2, a.action().label());
            ps.setString(3, originalKey);
            ps.setString(4, quarantineKey);
            setVersion(ps, 5, version);
            ps.setBoolean(8, created);
            ps.setTimestamp(9, Timestamp.from(clock.instant()));
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                return keys.getLong(1);
            }
        }
    }

    /** Records the version of an object we created, so restore deletes it only while unchanged. */
    public void recordCreated(long id, StoredObject written) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET size = ?, etag = ?, last_modified = ? WHERE id = ?")) {
            c.setAutoCommit(true);
            setVersion(ps, 1, written);
            ps.setLong(4, id);
            ps.executeUpdate();
        }
    }

    /** Drops an intent whose storage write did not happen (nothing to restore). */
    public void forget(long id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE id = ?")) {
            c.setAutoCommit(true);
            ps.setLong(1, id);
            ps.executeUpdate();
        }
    }

    /** Marks an entry whose bytes the applier itself put back (the daemon's install won the race): nothing left to restore. */
    public void restored(long id) throws SQLException {
        mark(id, "restored_at");
    }

    private static void setVersion(PreparedStatement ps, int first, StoredObject v) throws SQLException {
        ps.setObject(first, v == null ? null : v.size(), java.sql.Types.BIGINT);
        ps.setString(first + 1, v == null ? null : v.etag());
        ps.setTimestamp(first + 2, v == null || v.lastModified() == null ? null : Timestamp.from(v.lastModified()));
    }

    // --- restore ---

    /** Entries not restored or purged yet: one action's, or all (actionId null). */
    public List<ActionResult> pending(String actionId) throws SQLException {
        List<ActionResult> out = new ArrayList<>();
        for (Entry e : entries(actionId)) {
            out.add(new ActionResult(e.actionId(), null, e.action(), null, e.originalKey(), null,
                    e.created() ? "delete the object we created" : "copy back from " + e.quarantineKey()));
        }
        return out;
    }

    /** Restores one action's objects, or all (actionId null), newest first. */
    public List<ActionResult> restore(String actionId, String runId) throws SQLException {
        List<ActionResult> results = new ArrayList<>();
        for (Entry e : entries(actionId)) {
            ActionResult r = restoreOne(e, runId);
            listener.outcome("restore", e.action(), r.outcome());
            results.add(r);
        }
        return results;
    }

    private ActionResult restoreOne(Entry e, String runId) {
        ActionOutcome outcome;
        String detail;
        try {
            fenced();
            String refused = e.created() ? removeCreated(e) : putBack(e);
            outcome = refused == null ? ActionOutcome.RESTORED : ActionOutcome.RESTORE_REFUSED;
            detail = refused == null
                    ? (e.created() ? "object we created removed" : "object copied back from " + e.quarantineKey())
                    : refused;
            if (refused == null) {
                mark(e.id(), "restored_at");
            }
        } catch (SQLException | RuntimeException ex) {
            LOG.errorf(ex, "restore %s (%s) failed", e.actionId(), e.originalKey());
            outcome = ActionOutcome.FAILED;
            detail = WriteTransactions.describe(ex);
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            audit.recordObject(c, e.actionId(), "restore", runId, "restore", e.action(), e.originalKey(), e.quarantineKey(), null,
                    null, outcome, detail);
        } catch (SQLException ex) {
            LOG.errorf(ex, "restore %s: could not audit outcome %s", e.actionId(), outcome.label());
        }
        LOG.infof("restore %s (%s): %s", e.actionId(), e.originalKey(), detail);
        return new ActionResult(e.actionId(), null, e.action(), null, e.originalKey(), outcome, detail);
    }

    /** Null when the created object is gone (now or already); else why it stays. */
    private String removeCreated(Entry e) {
        Optional<StoredObject> now = storage.head(e.originalKey());
        if (now.isEmpty()) {
            return null;
        }
        if (!sameAsRecorded(now.get(), e)) {
            return "'" + e.originalKey() + "' changed since we created it (" + now.get().describeVersion() + "): not deleted";
        }
        try {
            storage.delete(now.get());
        } catch (ObjectChangedException ex) {
            return "'" + e.originalKey() + "' changed while it was deleted: " + ex.getMessage();
        }
        return null;
    }

    /** Null when the old bytes are back at the original key; else why not. */
    private String putBack(Entry e) {
        Optional<StoredObject> quarantined = storage.head(e.quarantineKey());
        Optional<StoredObject> now = storage.head(e.originalKey());
        if (now.isPresent()) {
            if (sameAsRecorded(now.get(), e) && quarantined.isEmpty()) {
                return null; // already back
            }
            if (!sameAsRecorded(now.get(), e)) {
                return "a different object is at '" + e.originalKey() + "' now (" + now.get().describeVersion() + "): not overwritten";
            }
        }
        if (quarantined.isEmpty()) {
            throw new IllegalStateException("the quarantined copy " + e.quarantineKey() + " is missing");
        }
        if (now.isEmpty()) {
            try {
                storage.copy(quarantined.get(), e.originalKey(), null);
            } catch (ObjectChangedException ex) {
                return "'" + e.originalKey() + "' appeared or the quarantined copy changed: " + ex.getMessage();
            }
        }
        storage.delete(quarantined.get()); // the original is back: the copy has served
        return null;
    }

    /**
     * Whether the object is the recorded version: size, and the ETag where both have one, else the last-modified
     * time to the microsecond (timestamptz keeps microseconds, rounding the file system's nanoseconds).
     */
    public static boolean sameAsRecorded(StoredObject now, Entry e) {
        if (e.size() == null || now.size() != e.size()) {
            return false;
        }
        if (now.etag() != null && e.etag() != null) {
            return now.etag().equals(e.etag());
        }
        return now.lastModified() != null && e.lastModified() != null
                && Math.abs(ChronoUnit.NANOS.between(now.lastModified(), e.lastModified())) < 1_000;
    }

    // --- purge ---

    /**
     * Ends reversibility for entries quarantined before {@code olderThan} (now minus the retention): deletes their
     * quarantined copies and marks them purged; objects we created are only marked (restore no longer removes them).
     *
     * @return how many entries were purged
     */
    public int purge(Instant olderThan) throws SQLException {
        return purge(olderThan, null);
    }

    /** As {@link #purge(Instant)}, auditing each purged entry as {@code purged} under {@code purgeRunId} (when given). */
    public int purge(Instant olderThan, String purgeRunId) throws SQLException {
        int purged = 0;
        for (Entry e : entries(null)) {
            if (!quarantinedBefore(e.id(), olderThan)) {
                continue;
            }
            fenced();
            if (e.quarantineKey() != null) {
                Optional<StoredObject> copy = storage.head(e.quarantineKey());
                if (copy.isPresent()) {
                    storage.delete(copy.get());
                }
            }
            mark(e.id(), "purged_at");
            if (purgeRunId != null) {
                try (Connection c = dataSource.getConnection()) {
                    c.setAutoCommit(true);
                    audit.recordObject(c, e.actionId(), "purge", purgeRunId, "purge", e.action(), e.originalKey(),
                            e.quarantineKey(), null, null, ActionOutcome.PURGED,
                            e.created() ? "created object: restore will no longer remove it" : "quarantined copy deleted");
                }
            }
            LOG.infof("purged quarantine entry %d of action %s (%s)", e.id(), e.actionId(),
                    Objects.requireNonNullElse(e.quarantineKey(), e.originalKey()));
            purged++;
        }
        return purged;
    }

    /** How many entries {@link #purge} would end now: quarantined before {@code olderThan}, not restored or purged. */
    public long purgeable(Instant olderThan) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + table
                        + " WHERE restored_at IS NULL AND purged_at IS NULL AND quarantined_at < ?")) {
            ps.setTimestamp(1, Timestamp.from(olderThan));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private boolean quarantinedBefore(long id, Instant olderThan) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT quarantined_at < ? FROM " + table + " WHERE id = ?")) {
            ps.setTimestamp(1, Timestamp.from(olderThan));
            ps.setLong(2, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private void mark(long id, String column) throws SQLException {
        // column is one of two literals of this class, never input
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET " + column + " = ? WHERE id = ?")) {
            c.setAutoCommit(true);
            ps.setTimestamp(1, Timestamp.from(clock.instant()));
            ps.setLong(2, id);
            ps.executeUpdate();
        }
    }

    private List<Entry> entries(String actionId) throws SQLException {
        List<Entry> entries = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT id, action_id, action, original_key, quarantine_key, size, etag,"
                        + " last_modified, created FROM " + table + " WHERE restored_at IS NULL AND purged_at IS NULL"
                        + " AND (CAST(? AS text) IS NULL OR action_id = ?) ORDER BY id DESC")) {
            ps.setString(1, actionId);
            ps.setString(2, actionId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    entries.add(entry(rs));
                }
            }
        }
        return entries;
    }

    private static Entry entry(ResultSet rs) throws SQLException {
        Long size = rs.getObject(6) == null ? null : rs.getLong(6);
        Timestamp lm = rs.getTimestamp(8);
        return new Entry(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), size, rs.getString(7),
                lm == null ? null : lm.toInstant(), rs.getBoolean(9));
    }

    // --- crash safety (see ObjectRecovery) ---

    /** Marks an action's open entries complete: its last storage step is done and audited. */
    public void complete(String actionId) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET completed_at = ? WHERE action_id = ?"
                        + " AND completed_at IS NULL AND restored_at IS NULL AND purged_at IS NULL")) {
            c.setAutoCommit(true);
            ps.setTimestamp(1, Timestamp.from(clock.instant()));
            ps.setString(2, actionId);
            ps.executeUpdate();
        }
    }

    /** Entries of actions a killed process left half done (not complete, restored or purged), oldest first. */
    public List<Entry> incomplete() throws SQLException {
        List<Entry> entries = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT id, action_id, action, original_key, quarantine_key, size, etag,"
                        + " last_modified, created FROM " + table
                        + " WHERE completed_at IS NULL AND restored_at IS NULL AND purged_at IS NULL ORDER BY id");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                entries.add(entry(rs));
            }
        }
        return entries;
    }
}
