package dify.reconciler.inventory.storage;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import java.util.zip.GZIPInputStream;
import javax.sql.DataSource;
import org.postgresql.PGConnection;

/**
 * The daemon's bucket with its listings read from the latest inventory report of it instead of LIST calls
 * ({@code reconciler.storage.listing=inventory}); every other operation (open, HEAD, writes) goes to the bucket itself.
 * The same for every provider: the report's manifest ({@link InventoryReport}: Amazon S3 Inventory, Azure Blob
 * inventory, GCS Storage Insights) says which files to read and how a row becomes a {@link StoredObject}.
 *
 * <p>Opening reads the report (manifest, fields, bucket, age), copies the rows under the scanned prefixes into a
 * temporary table of the state database (COPY, one 1 MiB chunk at a time; each data file checked whole against the
 * manifest's size and MD5 where it gives them, the rows against its row count) and checks that the report covers each
 * prefix ({@link InventoryCoverage}). {@link #list} then reads the table back in UTF-8 byte order ({@code COLLATE "C"}) a
 * page at a time: flat memory at any size, and the same {@link StoredObject}s a LIST gives. Any problem throws
 * {@link StorageException}, so the scan fails in its storage phase; never a silent fallback to LIST or to a partial
 * report.
 *
 * <p>The temporary table lives in one session, which this listing holds from {@link #open} to {@link #close}: a session
 * of its own ({@code session}), not one of the service's pool, which a long report download would otherwise take from
 * the rest of the service. No transaction stays open while storage is read: each chunk is one COPY statement sent once
 * its rows are read, each page one statement, so the session sits idle (no snapshot, no lock) while a data file
 * downloads or the scan's detectors HEAD objects between pages.
 *
 * <p>Not thread-safe: one scan, one listing at a time. Owns the report bucket's store and the session; closing
 * drops the table and closes both, not the daemon's bucket.
 */
public final class InventoryListing implements ObjectStorage {

    /** The table's name, schema-qualified: {@code pg_temp} is the session's own schema, so no other session sees it. */
    private static final String TABLE = "pg_temp.reconciler_inventory_listing";
    private static final int COPY_BUFFER = 1 << 20;
    private static final int PAGE_SIZE = 1000;
    private static final String COPY = "COPY " + TABLE + " (key, size, last_modified, etag) FROM STDIN";

    private final ObjectStorage live;
    private final ObjectStorage reports;
    private final Connection connection;
    private final List<String> prefixes;
    private InventoryReport report;
    private long rowsStaged;
    private long rowsRead;

    /** Finds and reads the latest report's manifest in the report bucket (one per provider). */
    @FunctionalInterface
    public interface Format {
        InventoryReport latest(ObjectStorage reports);
    }

    private InventoryListing(ObjectStorage live, ObjectStorage reports, Connection connection, List<String> prefixes) {
        this.live = live;
        this.reports = reports;
        this.connection = connection;
        this.prefixes = List.copyOf(prefixes);
    }

    /**
     * Reads the latest report {@code format} finds in {@code reports} (which this listing then owns) for {@code bucket},
     * staging the objects under {@code prefixes} (the only ones {@link #list} may be asked for).
     *
     * @param session opens a session of the reconciler's state database outside the service's pool, held until
     *        {@link #close} (a temporary table; nothing of its schema is written)
     */
    public static InventoryListing open(ObjectStorage live, String bucket, ObjectStorage reports, Format format,
            List<String> prefixes, DataSource session, Instant now, Duration maxAge) {
        Connection c;
        try {
            c = session.getConnection();
        } catch (SQLException e) {
            reports.close();
            throw new StorageException("listing from an inventory report needs the state database: " + e.getMessage(), e);
        }
        InventoryListing listing = new InventoryListing(live, reports, c, prefixes);
        try {
            listing.report = format.latest(reports);
            listing.report.checkUsableFor(bucket, now, maxAge);
            listing.stage();
            listing.checkCoverage();
            return listing;
        } catch (RuntimeException | Error e) {
            listing.close();
            throw e;
        }
    }

    /** The report listed from. */
    public InventoryReport report() {
        return report;
    }

    /** Objects of the report under the scanned prefixes. */
    public long rowsStaged() {
        return rowsStaged;
    }

    /** Reads a small object of the report bucket whole (a manifest, a checksum file). */
    static byte[] readAll(ObjectStorage store, String key) {
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
            // Temporary: never written to the WAL, gone with the session if we cannot drop it. COLLATE "C": byte order.
            s.execute("CREATE TEMPORARY TABLE " + TABLE + " (key text COLLATE \"C\" NOT NULL, size bigint NOT NULL,"
                    + " last_modified text NOT NULL, etag text NOT NULL)");
            CopyChunk chunk = new CopyChunk(COPY_BUFFER);
            for (InventoryReport.DataFile file : report.files()) {
                stageFile(file, chunk);
            }
            OptionalLong expected = report.rowCount();
            if (expected.isPresent() && expected.getAsLong() != rowsRead) {
                throw new StorageException("inventory report " + report.manifestKey() + " has " + rowsRead + " rows in its data"
                        + " files, the manifest says " + expected.getAsLong() + " (a data file short or missing)");
            }
            // Unique: a report listing a key twice fails here, naming the key; where the provider documents duplicates,
            // identical rows of a key count once when read back (Rows), and rows that differ fail there.
            s.execute("CREATE " + (report.duplicatesPossible() ? "" : "UNIQUE ") + "INDEX ON " + TABLE + " (key)");
            s.execute("ANALYZE " + TABLE);
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState())) {
                throw new StorageException("inventory report " + report.manifestKey() + " lists a key twice (a report of"
                        + " versions without IsLatest?): " + e.getMessage(), e);
            }
            throw new StorageException("staging inventory report " + report.manifestKey() + " in the state database failed: "
                    + e.getMessage(), e);
        }
    }

    /** Sends the chunk's rows: one COPY statement of its own, so no transaction is open while the report downloads. */
    private void copy(CopyChunk chunk) throws SQLException {
        if (chunk.size() == 0) {
            return;
        }
        try {
            connection.unwrap(PGConnection.class).getCopyAPI().copyIn(COPY, chunk.asInput());
        } catch (IOException e) {
            throw new SQLException("COPY of the report's rows failed: " + e.getMessage(), e);
        }
        chunk.reset();
    }

    private void stageFile(InventoryReport.DataFile file, CopyChunk chunk) throws SQLException {
        String name = reportPath(file.key());
        MessageDigest md5 = md5();
        CountingInputStream counted = null;
        try {
            InputStream raw;
            try {
                raw = reports.open(file.key());
            } catch (StorageException e) {
                throw new StorageException("inventory report " + report.manifestKey() + ": data file " + name
                        + " cannot be read: " + e.getMessage(), e);
            }
            counted = new CountingInputStream(new DigestInputStream(raw, md5));
            InputStream text = file.gzip() ? new GZIPInputStream(counted, 1 << 16) : counted;
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(text, StandardCharsets.UTF_8), 1 << 16)) {
                CsvRecords records = new CsvRecords(reader, name);
                InventoryReport.Rows rows = null;
                if (!report.headerRow()) {
                    rows = report.rows(file.key(), List.of());
                }
                List<String> fields;
                while ((fields = nextRecord(records)) != null) {
                    if (rows == null) {
                        rows = report.rows(file.key(), fields);
                        continue;
                    }
                    if (fields.size() == 1 && fields.get(0).isEmpty()) {
                        continue; // a blank line
                    }
                    rowsRead++;
                    Optional<StoredObject> object = rows.parse(fields, records.number());
                    if (object.isPresent() && underScannedPrefix(object.get().key())) {
                        StoredObject o = object.get();
                        chunk.row(o.key(), Long.toString(o.size()), o.lastModified().toString(), o.etag());
                        rowsStaged++;
                        if (chunk.size() >= COPY_BUFFER) {
                            copy(chunk);
                        }
                    }
                }
                if (rows == null) {
                    throw new StorageException("inventory report " + report.manifestKey() + ": data file " + name
                            + " is empty (no header row)");
                }
                // What the decompressor left (padding after the last member), so the count and digest are of the whole file.
                counted.transferTo(OutputStream.nullOutputStream());
            }
            if (file.size() >= 0 && counted.count() != file.size()) {
                throw new StorageException("inventory report " + report.manifestKey() + ": data file " + name + " has "
                        + counted.count() + " bytes, the manifest says " + file.size() + " (short or replaced)");
            }
            String actual = HexFormat.of().formatHex(md5.digest());
            if (file.md5() != null && !actual.equals(file.md5())) {
                throw new StorageException("inventory report " + report.manifestKey() + ": data file " + name + " has MD5 "
                        + actual + ", the manifest says " + file.md5() + " (corrupt or replaced)");
            }
            copy(chunk);
        } catch (IOException e) {
            throw new StorageException("inventory report " + report.manifestKey() + ": data file " + name + " cannot be read"
                    + (counted == null
                            ? ""
                            : " (" + counted.count() + (file.size() >= 0 ? " of " + file.size() : "")
                                    + " bytes read)")
                    + ": " + e.getMessage(), e);
        }
    }

    private List<String> nextRecord(CsvRecords records) throws IOException {
        try {
            return records.next();
        } catch (StorageException e) {
            throw new StorageException("inventory report " + report.manifestKey() + ": " + e.getMessage(), e);
        }
    }

    /** A data file as messages name it: the manifest's scheme, the bucket left out (the location names it). */
    private String reportPath(String key) {
        String m = report.manifestKey();
        int scheme = m.indexOf("://");
        return (scheme < 0 ? "" : m.substring(0, scheme + 3)) + "…/" + key;
    }

    static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is part of every Java runtime", e);
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
            Optional<StoredObject> inReport = first.isPresent() ? staged(first.get().key()) : Optional.empty();
            InventoryCoverage.problem(report.manifestKey(), prefix, first, inReport, report.createdAt()).ifPresent(p -> {
                throw new StorageException(p);
            });
        }
    }

    /** The report's row of {@code key} (the first, where the provider documents duplicates), if any. */
    private Optional<StoredObject> staged(String key) {
        try (PreparedStatement ps = connection.prepareStatement("SELECT key, size, last_modified, etag FROM " + TABLE
                + " WHERE key = ? LIMIT 1")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next()
                        ? Optional.of(new StoredObject(rs.getString(1), rs.getLong(2), Instant.parse(rs.getString(3)), rs.getString(4)))
                        : Optional.empty();
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
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(new Rows(prefix),
                Spliterator.ORDERED | Spliterator.DISTINCT | Spliterator.NONNULL), false);
    }

    /**
     * Keys under one prefix, a page at a time: each page one statement (keyset, after the last key read), so nothing
     * stays open on the session while the caller works between pages.
     */
    private final class Rows implements Iterator<StoredObject> {
        private final String prefix;
        private final ArrayDeque<StoredObject> page = new ArrayDeque<>(PAGE_SIZE);
        /** The last object read: where the next page starts. */
        private StoredObject last;
        private boolean done;

        Rows(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public boolean hasNext() {
            if (page.isEmpty() && !done) {
                readPage();
            }
            return !page.isEmpty();
        }

        private void readPage() {
            // From the prefix on in byte order (the column's collation is "C"), every key that starts with it comes first:
            // stop at the first that does not. Each page starts at the last key read again (>=), so the copies of a key
            // a report lists twice are all compared with the one listed, even across a page's end.
            String sql = "SELECT key, size, last_modified, etag FROM " + TABLE + " WHERE key >= ? ORDER BY key LIMIT " + PAGE_SIZE;
            int read = 0;
            int added = 0;
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                ps.setString(1, last == null ? prefix : last.key());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        read++;
                        String key = rs.getString(1);
                        if (!key.startsWith(prefix)) {
                            done = true;
                            break;
                        }
                        StoredObject o = new StoredObject(key, rs.getLong(2), Instant.parse(rs.getString(3)), rs.getString(4));
                        if (last != null && key.equals(last.key())) {
                            if (!o.equals(last)) {
                                throw new StorageException("inventory report " + report.manifestKey() + " lists " + key
                                        + " twice, as " + last.describeVersion() + " and as " + o.describeVersion());
                            }
                            continue; // the same row again: a duplicate the provider documents
                        }
                        page.add(o);
                        added++;
                        last = o;
                    }
                }
            } catch (SQLException e) {
                throw new StorageException("reading the staged inventory report failed: " + e.getMessage(), e);
            }
            if (read < PAGE_SIZE) {
                done = true;
            } else if (added == 0) {
                throw new StorageException("inventory report " + report.manifestKey() + " lists " + last.key() + " "
                        + PAGE_SIZE + " times or more");
            }
        }

        @Override
        public StoredObject next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return page.poll();
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
        return live.describe() + " listed from inventory report " + (report == null ? "?" : report.manifestKey());
    }

    @Override
    public void close() {
        try (Connection c = connection; Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + TABLE);
        } catch (SQLException e) {
            // The table is temporary: the session's end drops it anyway.
        } finally {
            reports.close();
        }
    }
}
