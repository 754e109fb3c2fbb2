package dify.reconciler.inventory.storage;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import java.util.zip.GZIPInputStream;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The daemon's bucket with its listings read from the latest S3 Inventory report instead of LIST calls
 * ({@code reconciler.storage.listing=inventory}); every other operation (open, HEAD, writes) goes to the bucket itself.
 *
 * <p>Opening reads the report (manifest checked against {@code manifest.checksum}, fields, bucket, age), copies the rows
 * under the scanned prefixes into a temporary table of the state database (COPY; each data file's size and MD5 checked
 * against the manifest once read whole) and checks that the report covers each prefix ({@link InventoryCoverage}).
 * {@link #list} then reads the table back in UTF-8 byte order ({@code COLLATE "C"}) through a cursor: flat memory at
 * any size, and the same {@link StoredObject}s a LIST gives. Any problem throws {@link StorageException}, so the scan
 * fails in its storage phase; never a silent fallback to LIST or to a partial report.
 *
 * <p>Not thread-safe: one scan, one listing at a time. Owns the report bucket's store and the connection; closing
 * drops the table and closes both, not the daemon's bucket.
 */
public final class S3InventoryListing implements ObjectStorage {

    private static final String TABLE = "pg_temp.reconciler_inventory_listing";
    private static final int COPY_BUFFER = 1 << 20;
    private static final int FETCH_SIZE = 1000;

    private final ObjectStorage live;
    private final ObjectStorage reports;
    private final Connection connection;
    private final List<String> prefixes;
    private S3InventoryManifest manifest;
    private long rowsStaged;
    private boolean listing;

    private S3InventoryListing(ObjectStorage live, ObjectStorage reports, Connection connection, List<String> prefixes) {
        this.live = live;
        this.reports = reports;
        this.connection = connection;
        this.prefixes = List.copyOf(prefixes);
    }

    /**
     * Reads the latest report under {@code location} (in {@code reports}, which this listing then owns) for
     * {@code bucket}, staging the objects under {@code prefixes} (the only ones {@link #list} may be asked for).
     *
     * @param state the reconciler's state database (a temporary table; nothing of its schema is written)
     */
    public static S3InventoryListing open(ObjectStorage live, String bucket, ObjectStorage reports, InventoryLocation location,
            List<String> prefixes, DataSource state, Instant now, Duration maxAge) {
        Connection c;
        try {
            c = state.getConnection();
        } catch (SQLException e) {
            reports.close();
            throw new StorageException("listing from an inventory report needs the state database: " + e.getMessage(), e);
        }
        S3InventoryListing listing = new S3InventoryListing(live, reports, c, prefixes);
        try {
            listing.manifest = readManifest(reports, location);
            listing.manifest.checkUsableFor(bucket, now, maxAge);
            listing.stage();
            listing.checkCoverage();
            return listing;
        } catch (RuntimeException | Error e) {
            listing.close();
            throw e;
        }
    }

    /** The report listed from. */
    public S3InventoryManifest manifest() {
        return manifest;
    }

    /** Objects of the report under the scanned prefixes. */
    public long rowsStaged() {
        return rowsStaged;
    }

    private static S3InventoryManifest readManifest(ObjectStorage reports, InventoryLocation location) {
        List<String> folders = new ArrayList<>();
        Optional<Stream<ListingPart>> oneLevel = reports.listOneLevel(location.prefix());
        if (oneLevel.isPresent()) {
            try (Stream<ListingPart> parts = oneLevel.get()) {
                parts.filter(ListingPart::isFolder).forEach(p -> folders.add(p.prefix()));
            }
        } else {
            try (Stream<StoredObject> all = reports.list(location.prefix())) {
                all.map(StoredObject::key).filter(k -> k.endsWith("/manifest.json"))
                        .forEach(k -> folders.add(k.substring(0, k.length() - "manifest.json".length())));
            }
        }
        String folder = location.latestReportFolder(folders).orElseThrow(() -> new StorageException(
                "no inventory report under " + location + " (no YYYY-MM-DDTHH-MMZ/ folder): check"
                        + " reconciler.storage.inventory-location and that the inventory has delivered a report"));
        String manifestKey = folder + "manifest.json";
        return S3InventoryManifest.parse("s3://" + location.bucket() + "/" + manifestKey, readAll(reports, manifestKey),
                readAll(reports, folder + "manifest.checksum"));
    }

    private static byte[] readAll(ObjectStorage store, String key) {
        try (InputStream in = store.open(key)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new StorageException("reading " + key + " of the inventory report failed: " + e.getMessage(), e);
        }
    }

    private void stage() {
        try (Statement s = connection.createStatement()) {
            connection.setAutoCommit(true);
            s.execute("DROP TABLE IF EXISTS " + TABLE);
            // Temporary: never written to the WAL, gone with the session if we cannot drop it.
            s.execute("CREATE TEMPORARY TABLE reconciler_inventory_listing (key text NOT NULL, size bigint NOT NULL,"
                    + " last_modified text NOT NULL, etag text NOT NULL)");
            S3InventoryRows rows = manifest.rows();
            for (S3InventoryManifest.DataFile file : manifest.files()) {
                stageFile(rows, file);
            }
            s.execute("CREATE INDEX ON " + TABLE + " (key COLLATE \"C\")");
            s.execute("ANALYZE " + TABLE);
        } catch (SQLException e) {
            throw new StorageException("staging inventory report " + manifest.manifestKey() + " in the state database failed: "
                    + e.getMessage(), e);
        }
    }

    private void stageFile(S3InventoryRows rows, S3InventoryManifest.DataFile file) throws SQLException {
        String name = "s3://…/" + file.key();
        MessageDigest md5 = S3InventoryManifest.md5();
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("COPY " + TABLE + " (key, size, last_modified, etag) FROM STDIN");
        CountingStream counted = null;
        try {
            InputStream raw;
            try {
                raw = reports.open(file.key());
            } catch (StorageException e) {
                throw new StorageException("inventory report " + manifest.manifestKey() + ": data file " + name
                        + " cannot be read: " + e.getMessage(), e);
            }
            counted = new CountingStream(new DigestInputStream(raw, md5));
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(new GZIPInputStream(counted, 1 << 16),
                    StandardCharsets.UTF_8))) {
                ByteArrayOutputStream buffer = new ByteArrayOutputStream(COPY_BUFFER + COPY_BUFFER / 4);
                StringBuilder line = new StringBuilder(512);
                long number = 0;
                String text;
                while ((text = reader.readLine()) != null) {
                    number++;
                    Optional<StoredObject> object = rows.parse(text, file.key(), number);
                    if (object.isPresent() && underScannedPrefix(object.get().key())) {
                        StoredObject o = object.get();
                        line.setLength(0);
                        escape(o.key(), line);
                        line.append('\t').append(o.size()).append('\t').append(o.lastModified()).append('\t');
                        escape(o.etag(), line);
                        line.append('\n');
                        buffer.writeBytes(line.toString().getBytes(StandardCharsets.UTF_8));
                        rowsStaged++;
                        if (buffer.size() >= COPY_BUFFER) {
                            copy.writeToCopy(buffer.toByteArray(), 0, buffer.size());
                            buffer.reset();
                        }
                    }
                }
                counted.drain();
                if (buffer.size() > 0) {
                    copy.writeToCopy(buffer.toByteArray(), 0, buffer.size());
                }
            }
            if (counted.count != file.size()) {
                throw new StorageException("inventory report " + manifest.manifestKey() + ": data file " + name + " has "
                        + counted.count + " bytes, the manifest says " + file.size() + " (short or replaced)");
            }
            String actual = HexFormat.of().formatHex(md5.digest());
            if (!actual.equals(file.md5())) {
                throw new StorageException("inventory report " + manifest.manifestKey() + ": data file " + name + " has MD5 "
                        + actual + ", the manifest says " + file.md5() + " (corrupt or replaced)");
            }
            copy.endCopy();
        } catch (IOException e) {
            throw new StorageException("inventory report " + manifest.manifestKey() + ": data file " + name + " cannot be read"
                    + (counted == null ? "" : " (" + counted.count + " of " + file.size() + " bytes read)") + ": "
                    + e.getMessage(), e);
        } finally {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        }
    }

    private boolean underScannedPrefix(String key) {
        for (String p : prefixes) {
            if (key.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    private void checkCoverage() {
        for (String prefix : prefixes) {
            Optional<StoredObject> first;
            try (Stream<StoredObject> listed = live.list(prefix)) {
                first = listed.findFirst();
            }
            boolean inReport = first.isPresent() && staged(first.get().key());
            InventoryCoverage.problem(manifest.manifestKey(), prefix, first, inReport, manifest.createdAt()).ifPresent(p -> {
                throw new StorageException(p);
            });
        }
    }

    private boolean staged(String key) {
        try (PreparedStatement ps = connection.prepareStatement("SELECT 1 FROM " + TABLE + " WHERE key = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new StorageException("reading the staged inventory report failed: " + e.getMessage(), e);
        }
    }

    /** The report's objects under {@code prefix} (one of the staged prefixes, or under one), in UTF-8 byte order. */
    @Override
    public Stream<StoredObject> list(String prefix) {
        if (prefixes.stream().noneMatch(prefix::startsWith)) {
            // Never an empty listing for a prefix the report was not read for: that would look like lost objects.
            throw new IllegalStateException("the inventory listing staged " + prefixes + ", not " + prefix);
        }
        if (listing) {
            throw new IllegalStateException("one inventory listing at a time");
        }
        Rows rows = new Rows(prefix);
        listing = true;
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(rows,
                Spliterator.ORDERED | Spliterator.DISTINCT | Spliterator.NONNULL), false).onClose(rows::close);
    }

    /** Keys under one prefix, read through a cursor (a transaction of its own on the staging connection). */
    private final class Rows implements Iterator<StoredObject> {
        private final String prefix;
        private PreparedStatement statement;
        private ResultSet results;
        private StoredObject next;
        private String previous;
        private boolean done;

        Rows(String prefix) {
            this.prefix = prefix;
            try {
                connection.setAutoCommit(false);
                // From the prefix on in byte order, every key that starts with it comes first: stop at the first that does not.
                statement = connection.prepareStatement("SELECT key, size, last_modified, etag FROM " + TABLE
                        + " WHERE key COLLATE \"C\" >= ? ORDER BY key COLLATE \"C\"");
                statement.setFetchSize(FETCH_SIZE);
                statement.setString(1, prefix);
                results = statement.executeQuery();
            } catch (SQLException e) {
                close();
                throw new StorageException("reading the staged inventory report failed: " + e.getMessage(), e);
            }
        }

        @Override
        public boolean hasNext() {
            if (next == null && !done) {
                try {
                    if (results.next() && results.getString(1).startsWith(prefix)) {
                        String key = results.getString(1);
                        if (key.equals(previous)) {
                            throw new StorageException("inventory report " + manifest.manifestKey() + " lists " + key
                                    + " twice (a report of versions without IsLatest?)");
                        }
                        next = new StoredObject(key, results.getLong(2), Instant.parse(results.getString(3)), results.getString(4));
                        previous = key;
                    } else {
                        done = true;
                    }
                } catch (SQLException e) {
                    throw new StorageException("reading the staged inventory report failed: " + e.getMessage(), e);
                }
            }
            return next != null;
        }

        @Override
        public StoredObject next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            StoredObject o = next;
            next = null;
            return o;
        }

        void close() {
            try {
                if (results != null) {
                    results.close();
                }
                if (statement != null) {
                    statement.close();
                }
                connection.commit();
                connection.setAutoCommit(true);
            } catch (SQLException e) {
                throw new StorageException("ending the inventory listing of " + prefix + " failed: " + e.getMessage(), e);
            } finally {
                listing = false;
            }
        }
    }

    @Override
    public InputStream open(String key) {
        return live.open(key);
    }

    @Override
    public Optional<StoredObject> head(String key) {
        return live.head(key);
    }

    @Override
    public StoredObject copy(StoredObject source, String targetKey, StoredObject expectedTarget) {
        return live.copy(source, targetKey, expectedTarget);
    }

    @Override
    public StoredObject put(String key, InputStream content, long length, StoredObject expectedTarget) {
        return live.put(key, content, length, expectedTarget);
    }

    @Override
    public void delete(StoredObject expected) {
        live.delete(expected);
    }

    @Override
    public void checkReachable() {
        live.checkReachable();
    }

    @Override
    public String describe() {
        return live.describe() + " listed from inventory report " + (manifest == null ? "?" : manifest.manifestKey());
    }

    @Override
    public void close() {
        try (Connection c = connection; Statement s = c.createStatement()) {
            if (!c.getAutoCommit()) {
                c.rollback();
                c.setAutoCommit(true);
            }
            s.execute("DROP TABLE IF EXISTS " + TABLE);
        } catch (SQLException e) {
            // The table is temporary: the session's end drops it anyway.
        } finally {
            reports.close();
        }
    }

    /** COPY text format: a key may hold a tab, a line break or a backslash. */
    private static void escape(String value, StringBuilder out) {
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(ch);
            }
        }
    }

    /** Counts the bytes read, so a short file is told from a complete one. */
    private static final class CountingStream extends FilterInputStream {
        long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        /** Reads what the decompressor left (padding after the last member), so the count and digest are of the whole file. */
        void drain() throws IOException {
            byte[] rest = new byte[8192];
            while (read(rest, 0, rest.length) >= 0) {
                // counted and digested
            }
        }

        @Override
        public void close() throws IOException {
            super.close();
        }
    }
}
