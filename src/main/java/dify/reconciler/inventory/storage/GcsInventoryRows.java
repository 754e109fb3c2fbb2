package dify.reconciler.inventory.storage;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;

/**
 * The data rows of one GCS Storage Insights inventory shard (CSV), turned into the {@link StoredObject} a LIST of the
 * same object gives ({@link GcsObjectStorage}): the name as written (not encoded; CSV quoting only), {@code size},
 * {@code updated} (RFC 3339) and the content tag {@code md5:<md5Hash>}, or {@code crc32c:<crc32c>} for a composite
 * object (which has no MD5). A row of another bucket fails; a row with {@code timeDeleted} set (a noncurrent version)
 * is not a live object: left out. Pure; a row that cannot be read throws {@link StorageException} naming the shard and
 * record.
 */
public final class GcsInventoryRows {

    private final String report;
    private final String bucket;
    private final String dataFile;
    private final int columnCount;
    private final int bucketColumn;
    private final int name;
    private final int size;
    private final int updated;
    private final int md5;
    private final int crc32c;
    private final int timeDeleted;

    /** @param bucket the daemon's bucket, or null to not check a {@code bucket} column */
    GcsInventoryRows(String report, String bucket, String dataFile, List<String> columns) {
        this.report = report;
        this.bucket = bucket;
        this.dataFile = dataFile;
        this.columnCount = columns.size();
        for (String field : GcsInventoryManifest.REQUIRED_FIELDS) {
            if (!columns.contains(field)) {
                throw new StorageException("inventory report " + report + ": data file " + dataFile + " has no column " + field
                        + " (its columns: " + String.join(", ", columns) + ")");
            }
        }
        this.bucketColumn = columns.indexOf("bucket");
        this.name = columns.indexOf("name");
        this.size = columns.indexOf("size");
        this.updated = columns.indexOf("updated");
        this.md5 = columns.indexOf("md5Hash");
        this.crc32c = columns.indexOf("crc32c");
        this.timeDeleted = columns.indexOf("timeDeleted");
    }

    /** The object of record {@code number}, or empty for a noncurrent version. */
    public Optional<StoredObject> parse(List<String> fields, long number) {
        if (fields.size() != columnCount) {
            throw malformed(number, fields.size() + " fields where the report has " + columnCount + " columns");
        }
        if (bucket != null && bucketColumn >= 0 && !bucket.equals(fields.get(bucketColumn))) {
            throw malformed(number, "an object of bucket " + fields.get(bucketColumn) + ", not " + bucket);
        }
        if (timeDeleted >= 0 && !fields.get(timeDeleted).isEmpty()) {
            return Optional.empty();
        }
        String key = fields.get(name);
        long bytes;
        Instant modified;
        try {
            bytes = Long.parseLong(fields.get(size));
            modified = OffsetDateTime.parse(fields.get(updated), DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (NumberFormatException | DateTimeException e) {
            throw malformed(number, "no valid size or updated: " + e.getMessage());
        }
        String tag = !fields.get(md5).isEmpty()
                ? "md5:" + fields.get(md5)
                : crc32c >= 0 && !fields.get(crc32c).isEmpty() ? "crc32c:" + fields.get(crc32c) : null;
        if (key.isEmpty() || bytes < 0 || tag == null) {
            throw malformed(number, "an empty name, a negative size or neither md5Hash nor crc32c");
        }
        return Optional.of(new StoredObject(key, bytes, modified, tag));
    }

    private StorageException malformed(long number, String what) {
        return new StorageException("inventory report " + report + ": data file " + dataFile + " record " + number + " has "
                + what);
    }
}
