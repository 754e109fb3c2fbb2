package dify.reconciler.state;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Deep verify's cache of verdicts ({@link VerifiedObject}), so that a scan of an unchanged bucket reads almost no
 * package bytes. In our schema ({@code deep_verify_cache}) when {@link StateStore} persists state, so it survives
 * restarts; otherwise in this process's memory, lost when it ends (a one-shot command in memory mode reads every
 * object each time). Bounded by its caller: it holds only keys the last complete deep verify listed, at most
 * {@code reconciler.deep-verify-cache-max-entries}.
 */
@ApplicationScoped
public class VerifiedObjects {

    private static final String COLUMNS = "object_key, size, etag, last_modified, verified_at, sha256, mismatch";

    private final StateStore store;
    private volatile Map<String, VerifiedObject> memory = Map.of();

    @Inject
    public VerifiedObjects(StateStore store) {
        this.store = store;
    }

    /** Whether the cache outlives this process. */
    public boolean persisted() {
        return store.persisted();
    }

    /** Every cached verdict by key; throws {@link IllegalStateException} when the table cannot be read. */
    public Map<String, VerifiedObject> load() {
        if (!store.persisted()) {
            return memory;
        }
        Map<String, VerifiedObject> byKey = new HashMap<>();
        try (Connection c = store.dataSource().getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT " + COLUMNS + " FROM " + store.table("deep_verify_cache"))) {
            while (rs.next()) {
                String lastModified = rs.getString(4);
                VerifiedObject v = new VerifiedObject(rs.getString(1), rs.getLong(2),
                        lastModified == null ? null : Instant.parse(lastModified), rs.getString(3),
                        rs.getTimestamp(5).toInstant(), rs.getString(6), rs.getString(7));
                byKey.put(v.key(), v);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("reading " + store.table("deep_verify_cache") + " failed: " + e.getMessage(), e);
        }
        return byKey;
    }

    /**
     * Replaces the cache by {@code kept}, in one transaction: entries not in it are dropped, and those whose key is
     * in {@code fresh} (read in this scan) written. Throws {@link IllegalStateException} when the table cannot be
     * written (the previous cache then stays whole).
     */
    public void save(Collection<VerifiedObject> kept, Set<String> fresh) {
        if (!store.persisted()) {
            Map<String, VerifiedObject> next = new HashMap<>();
            kept.forEach(v -> next.put(v.key(), v));
            memory = Map.copyOf(next);
            return;
        }
        String table = store.table("deep_verify_cache");
        try (Connection c = store.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE NOT (object_key = ANY (?))")) {
                    ps.setArray(1, c.createArrayOf("text", kept.stream().map(VerifiedObject::key).toArray()));
                    ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (" + COLUMNS + ")"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (object_key) DO UPDATE SET size = EXCLUDED.size,"
                        + " etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified, verified_at = EXCLUDED.verified_at,"
                        + " sha256 = EXCLUDED.sha256, mismatch = EXCLUDED.mismatch")) {
                    int batched = 0;
                    for (VerifiedObject v : kept) {
                        if (!fresh.contains(v.key())) {
                            continue;
                        }
                        ps.setString(1, v.key());
                        ps.setLong(2, v.size());
                        ps.setString(3, v.etag());
                        ps.setString(4, v.lastModified() == null ? null : v.lastModified().toString());
                        ps.setTimestamp(5, Timestamp.from(v.verifiedAt()));
                        ps.setString(6, v.sha256());
                        ps.setString(7, v.mismatch());
                        ps.addBatch();
                        if (++batched % 1000 == 0) {
                            ps.executeBatch();
                        }
                    }
                    ps.executeBatch();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("writing " + table + " failed: " + e.getMessage(), e);
        }
    }
}
