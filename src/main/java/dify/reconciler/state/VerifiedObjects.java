package dify.reconciler.state;

import dify.reconciler.catalog.KeyOrder;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
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

    /** Cached verdicts fetched per round trip by {@link #read(String)}: the most a reader holds. */
    public static final int FETCH_SIZE = 1000;

    /** Verdicts of a scan staged per COPY while deep verify runs (about this many bytes). */
    static final int CHUNK_BYTES = 1 << 20;

    /** {@link #read(String, int)} with {@link #FETCH_SIZE}. */
    public CacheReader read(String prefix) {
        return read(prefix, FETCH_SIZE);
    }

    /**
     * The cached verdicts whose key starts with {@code prefix}, in UTF-8 byte order of keys (the listing's order, so deep
     * verify merges the two): in our schema through a server-side cursor, {@code fetchSize} rows per round trip, never
     * the whole table. The read transaction touches only {@code deep_verify_cache}. The caller closes the reader; a read
     * that fails throws {@link IllegalStateException}.
     */
    public CacheReader read(String prefix, int fetchSize) {
        if (!store.persisted()) {
            List<VerifiedObject> sorted = memory.values().stream().filter(v -> v.key().startsWith(prefix))
                    .sorted(Comparator.comparing(VerifiedObject::key, KeyOrder.COMPARATOR)).toList();
            return new MemoryReader(sorted);
        }
        return new CursorReader(store, prefix, fetchSize);
    }

    /**
     * Starts the replacement of the cache by one deep verify's verdicts, written as they come ({@link CacheWriter#keep})
     * and applied by {@link CacheWriter#commit}; closed without a commit, the cache stays as it was.
     */
    public CacheWriter replace() {
        if (!store.persisted()) {
            return new MemoryWriter();
        }
        return new StagingWriter(store);
    }

    /** Cached verdicts in key order; {@link #mostHeld()} is the most it held in memory at once. */
    public interface CacheReader extends Iterator<VerifiedObject>, AutoCloseable {
        int mostHeld();

        @Override
        void close();
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

    private static final class MemoryReader implements CacheReader {
        private final Iterator<VerifiedObject> it;
        private final int held;

        MemoryReader(List<VerifiedObject> sorted) {
            this.it = sorted.iterator();
            this.held = sorted.size();
        }

        @Override
        public boolean hasNext() {
            return it.hasNext();
        }

        @Override
        public VerifiedObject next() {
            return it.next();
        }

        @Override
        public int mostHeld() {
            return held;
        }

        @Override
        public void close() {
        }
    }

    /** DECLARE … CURSOR and FETCH: at most one batch of rows in memory, whatever the table holds. */
    private static final class CursorReader implements CacheReader {
        private final Connection c;
        private final int fetchSize;
        private final String table;
        private final Deque<VerifiedObject> held = new ArrayDeque<>();
        private boolean exhausted;
        private int mostHeld;

        CursorReader(StateStore store, String prefix, int fetchSize) {
            this.fetchSize = fetchSize;
            this.table = store.table("deep_verify_cache");
            try {
                c = store.dataSource().getConnection();
            } catch (SQLException e) {
                throw new IllegalStateException("reading " + table + " failed: " + e.getMessage(), e);
            }
            try {
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement("DECLARE deep_verify_cache_read NO SCROLL CURSOR FOR SELECT "
                        + COLUMNS + " FROM " + table + " WHERE substr(object_key, 1, char_length(?)) = ?"
                        + " ORDER BY object_key COLLATE \"C\"")) {
                    ps.setString(1, prefix);
                    ps.setString(2, prefix);
                    ps.execute();
                }
            } catch (SQLException e) {
                close();
                throw new IllegalStateException("reading " + table + " failed: " + e.getMessage(), e);
            }
        }

        @Override
        public boolean hasNext() {
            if (held.isEmpty() && !exhausted) {
                fetch();
            }
            return !held.isEmpty();
        }

        @Override
        public VerifiedObject next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return held.poll();
        }

        private void fetch() {
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("FETCH " + fetchSize + " FROM deep_verify_cache_read")) {
                int n = 0;
                while (rs.next()) {
                    held.add(verdict(rs));
                    n++;
                }
                exhausted = n < fetchSize;
                mostHeld = Math.max(mostHeld, held.size());
            } catch (SQLException e) {
                throw new IllegalStateException("reading " + table + " failed: " + e.getMessage(), e);
            }
        }

        @Override
        public int mostHeld() {
            return mostHeld;
        }

        @Override
        public void close() {
            try (c) {
                c.rollback();
                c.setAutoCommit(true);
            } catch (SQLException e) {
                // the connection is broken; the pool discards it
            }
        }
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
     * connection is held while deep verify runs (a temporary table lives in one session); no transaction is open between
     * chunks.
     */
    private static final class StagingWriter implements CacheWriter {
        private static final String STAGED = "pg_temp.deep_verify_kept";
        private final StateStore store;
        private final String table;
        private final Connection c;
        private final CopyChunk chunk = new CopyChunk(CHUNK_BYTES);

        StagingWriter(StateStore store) {
            this.store = store;
            this.table = store.table("deep_verify_cache");
            try {
                c = store.dataSource().getConnection();
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
                // the connection is broken; the pool discards it, and its temporary table with the session
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
