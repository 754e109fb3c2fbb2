package dify.reconciler.state;

import dify.reconciler.catalog.KeyOrder;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.UnpooledSessions;
import dify.reconciler.inventory.storage.CopyChunk;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.Config;
import org.postgresql.PGConnection;

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

    /** How the writer's session shows in {@code pg_stat_activity}. */
    public static final String WRITER_APPLICATION_NAME = "plugin-reconciler-deep-verify-cache";

    private final StateStore store;
    private final Supplier<DataSource> writerSessions;
    private volatile Map<String, VerifiedObject> memory = Map.of();

    /**
     * The service's cache: its writer's session is one of the state database's sessions outside the pool
     * ({@link UnpooledSessions}), as the leader lock's and the inventory listing's are.
     */
    @Inject
    public VerifiedObjects(StateStore store, Config settings, DaemonSettings daemon) {
        // Read when a deep verify first writes, as the inventory listing's sessions are: not at start-up.
        this.store = store;
        this.writerSessions = () -> UnpooledSessions.of(settings, daemon)
                .dataSource(Map.of("ApplicationName", WRITER_APPLICATION_NAME, "tcpKeepAlive", "true"));
    }

    /**
     * @param writerSessions opens the session a {@link #replace} holds for its temporary table while deep verify runs
     *        (minutes on a big bucket): a source of sessions outside the pool, so the pool is not one connection short
     *        meanwhile; the lookups and reads use the pool
     */
    public VerifiedObjects(StateStore store, DataSource writerSessions) {
        this.store = store;
        this.writerSessions = () -> writerSessions;
    }

    /** Whether the cache outlives this process. */
    public boolean persisted() {
        return store.persisted();
    }

    /** Listed keys whose cached verdicts one {@link #lookUp} fetches: the most deep verify holds at once. */
    public static final int BATCH_SIZE = 1000;

    /** Verdicts of a scan staged per COPY while deep verify runs (about this many bytes). */
    static final int CHUNK_BYTES = 1 << 20;

    /**
     * The cached verdicts of {@code keys} (a batch of a listing, at most a few thousand), by key; keys without one are
     * absent. In our schema one statement on the primary key, in autocommit, its connection back in the pool before this
     * returns: deep verify looks up a batch, then reads its objects from storage with no cursor, transaction or snapshot
     * of this read held meanwhile (before, a cursor's transaction spanned every download of a prefix). A read that fails throws {@link IllegalStateException}.
     */
    public Map<String, VerifiedObject> lookUp(List<String> keys) {
        if (keys.isEmpty()) {
            return Map.of();
        }
        if (!store.persisted()) {
            Map<String, VerifiedObject> cached = memory;
            Map<String, VerifiedObject> found = new HashMap<>();
            keys.forEach(k -> {
                VerifiedObject v = cached.get(k);
                if (v != null) {
                    found.put(k, v);
                }
            });
            return found;
        }
        String table = store.table("deep_verify_cache");
        Map<String, VerifiedObject> found = new HashMap<>();
        try (Connection c = store.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM " + table + " WHERE object_key = ANY (?)")) {
            ps.setArray(1, c.createArrayOf("text", keys.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    VerifiedObject v = verdict(rs);
                    found.put(v.key(), v);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("reading " + table + " failed: " + e.getMessage(), e);
        }
        return found;
    }

    /**
     * Starts the replacement of the cache by one deep verify's verdicts, written as they come ({@link CacheWriter#keep})
     * and applied by {@link CacheWriter#commit}; closed without a commit, the cache stays as it was.
     */
    public CacheWriter replace() {
        if (!store.persisted()) {
            return new MemoryWriter();
        }
        return new StagingWriter(store, writerSessions.get());
    }

    /** One deep verify's verdicts, the new cache. */
    public interface CacheWriter extends AutoCloseable {
        /** A verdict of this listing; {@code fresh}: reached in this scan (else cached and still valid). */
        void keep(VerifiedObject verdict, boolean fresh);

        /** Replaces the cache by what was kept, at most {@code maxEntries} (the most recently verified), in one transaction. */
        void commit(int maxEntries);

        @Override
        void close();
    }

    /** Keeps the verdicts in this process until the commit (memory mode holds the whole cache by design). */
    private final class MemoryWriter implements CacheWriter {
        private final Map<String, VerifiedObject> kept = new HashMap<>();

        @Override
        public void keep(VerifiedObject verdict, boolean fresh) {
            kept.put(verdict.key(), verdict);
        }

        @Override
        public void commit(int maxEntries) {
            List<VerifiedObject> all = new ArrayList<>(kept.values());
            if (all.size() > maxEntries) {
                all.sort(Comparator.comparing(VerifiedObject::verifiedAt).reversed()
                        .thenComparing(VerifiedObject::key, KeyOrder.COMPARATOR));
                all = all.subList(0, maxEntries);
            }
            Map<String, VerifiedObject> next = new HashMap<>();
            all.forEach(v -> next.put(v.key(), v));
            memory = Map.copyOf(next);
        }

        @Override
        public void close() {
        }
    }

    /**
     * Stages every verdict in a temporary table with COPY, a chunk of about {@value #CHUNK_BYTES} bytes at a time, then
     * replaces the cache with set operations in one transaction: the heap holds one chunk, not the cache. The staging
     * session is held while deep verify runs (a temporary table lives in one session): a session of its own, not one of
     * the pool's, which would otherwise be missing to the ledger, the lock watch and health checks for the whole deep
     * verify. No transaction is open between chunks.
     */
    private static final class StagingWriter implements CacheWriter {
        private static final String STAGED = "pg_temp.deep_verify_kept";
        private final StateStore store;
        private final String table;
        private final Connection c;
        private final CopyChunk chunk = new CopyChunk(CHUNK_BYTES);

        StagingWriter(StateStore store, DataSource sessions) {
            this.store = store;
            this.table = store.table("deep_verify_cache");
            try {
                c = sessions.getConnection();
            } catch (SQLException e) {
                throw new IllegalStateException("writing " + table + " failed: " + e.getMessage(), e);
            }
            try (Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS " + STAGED);
                st.execute("CREATE TEMPORARY TABLE deep_verify_kept (object_key text NOT NULL, fresh boolean NOT NULL,"
                        + " size bigint NOT NULL, etag text, last_modified text, verified_at timestamptz NOT NULL, sha256 text,"
                        + " mismatch text)");
            } catch (SQLException e) {
                close();
                throw new IllegalStateException("writing " + table + " failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void keep(VerifiedObject v, boolean fresh) {
            chunk.row(v.key(), fresh ? "t" : "f", Long.toString(v.size()), v.etag(),
                    v.lastModified() == null ? null : v.lastModified().toString(), v.verifiedAt().toString(), v.sha256(),
                    v.mismatch());
            if (chunk.size() >= CHUNK_BYTES) {
                flush();
            }
        }

        private void flush() {
            if (chunk.size() == 0) {
                return;
            }
            try {
                c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + STAGED + " (object_key, fresh, size, etag,"
                        + " last_modified, verified_at, sha256, mismatch) FROM STDIN", chunk.asInput());
            } catch (SQLException | IOException e) {
                throw new IllegalStateException("writing " + table + " failed: " + e.getMessage(), e);
            } finally {
                chunk.reset();
            }
        }

        @Override
        public void commit(int maxEntries) {
            flush();
            try {
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    st.execute("SET LOCAL lock_timeout = '10s'");
                    st.execute("ANALYZE " + STAGED);
                    st.executeUpdate("DELETE FROM " + table + " c WHERE NOT EXISTS (SELECT 1 FROM " + STAGED
                            + " k WHERE k.object_key = c.object_key)");
                    st.executeUpdate("INSERT INTO " + table + " (" + COLUMNS + ") SELECT " + COLUMNS + " FROM " + STAGED
                            + " WHERE fresh ON CONFLICT (object_key) DO UPDATE SET size = EXCLUDED.size,"
                            + " etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified, verified_at = EXCLUDED.verified_at,"
                            + " sha256 = EXCLUDED.sha256, mismatch = EXCLUDED.mismatch");
                }
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE object_key IN (SELECT object_key"
                        + " FROM " + table + " ORDER BY verified_at DESC, object_key COLLATE \"C\" OFFSET ?)")) {
                    ps.setInt(1, maxEntries);
                    ps.executeUpdate();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // reported below; the cache stays as it was
                }
                throw new IllegalStateException("writing " + table + " failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            try (c) {
                if (!c.getAutoCommit()) {
                    c.rollback();
                    c.setAutoCommit(true);
                }
                try (Statement st = c.createStatement()) {
                    st.execute("DROP TABLE IF EXISTS " + STAGED);
                }
            } catch (SQLException e) {
                // the session is broken; closing it ends it, and its temporary table with it
            }
        }
    }

    private static VerifiedObject verdict(ResultSet rs) throws SQLException {
        String lastModified = rs.getString(4);
        return new VerifiedObject(rs.getString(1), rs.getLong(2), lastModified == null ? null : Instant.parse(lastModified),
                rs.getString(3), rs.getTimestamp(5).toInstant(), rs.getString(6), rs.getString(7));
    }

    /**
     * Every cached verdict by key, loaded whole (tests and tools; a scan reads with {@link #read}); throws
     * {@link IllegalStateException} when the table cannot be read.
     */
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
}
