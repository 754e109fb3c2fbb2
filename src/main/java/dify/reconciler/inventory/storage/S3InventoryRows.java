package dify.reconciler.inventory.storage;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * The data lines of an S3 Inventory CSV report, one object each, turned into the {@link StoredObject} a LIST of the
 * same object gives: the key URL-decoded (the report encodes it: a space is {@code +}, a plus {@code %2B}), the size,
 * the last-modified time and the ETag in quotes (the report leaves them out, ListObjectsV2 keeps them). In a report of
 * versions only the latest version counts and delete markers are skipped. Pure; a malformed line throws
 * {@link StorageException} naming the data file and line, since a line we cannot read is an object we would miss.
 */
public final class S3InventoryRows {

    private final String report;
    private final String bucket;
    private final int columnCount;
    private final int bucketColumn;
    private final int keyColumn;
    private final int sizeColumn;
    private final int modifiedColumn;
    private final int etagColumn;
    private final int latestColumn;
    private final int deleteMarkerColumn;

    S3InventoryRows(String report, String bucket, List<String> columns) {
        this.report = report;
        this.bucket = bucket;
        this.columnCount = columns.size();
        this.bucketColumn = columns.indexOf("Bucket");
        this.keyColumn = columns.indexOf("Key");
        this.sizeColumn = columns.indexOf("Size");
        this.modifiedColumn = columns.indexOf("LastModifiedDate");
        this.etagColumn = columns.indexOf("ETag");
        this.latestColumn = columns.indexOf("IsLatest");
        this.deleteMarkerColumn = columns.indexOf("IsDeleteMarker");
    }

    /**
     * The object of a data row (record {@code lineNumber} of {@code dataFile}, split by {@link CsvRecords}), or empty
     * for a row that is not a current object (an older version, a delete marker).
     */
    public Optional<StoredObject> parse(List<String> fields, String dataFile, long lineNumber) {
        if (fields.size() != columnCount) {
            throw malformed(dataFile, lineNumber, fields.size() + " fields where the manifest's fileSchema has " + columnCount);
        }
        if (!bucket.equals(fields.get(bucketColumn))) {
            throw malformed(dataFile, lineNumber, "an object of bucket " + fields.get(bucketColumn) + ", not " + bucket);
        }
        if (latestColumn >= 0 && !"true".equalsIgnoreCase(fields.get(latestColumn))) {
            return Optional.empty();
        }
        if (deleteMarkerColumn >= 0 && "true".equalsIgnoreCase(fields.get(deleteMarkerColumn))) {
            return Optional.empty();
        }
        String key;
        try {
            key = URLDecoder.decode(fields.get(keyColumn), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw malformed(dataFile, lineNumber, "a key that is not URL-encoded: " + e.getMessage());
        }
        long size;
        Instant modified;
        try {
            size = Long.parseLong(fields.get(sizeColumn));
            modified = Instant.parse(fields.get(modifiedColumn));
        } catch (NumberFormatException | DateTimeParseException e) {
            throw malformed(dataFile, lineNumber, "no valid Size or LastModifiedDate: " + e.getMessage());
        }
        if (key.isEmpty() || size < 0) {
            throw malformed(dataFile, lineNumber, "an empty key or a negative size");
        }
        String etag = fields.get(etagColumn);
        if (etag.isEmpty()) {
            throw malformed(dataFile, lineNumber, "no ETag");
        }
        return Optional.of(new StoredObject(key, size, modified, etag.startsWith("\"") ? etag : "\"" + etag + "\""));
    }

    private StorageException malformed(String dataFile, long lineNumber, String what) {
        return new StorageException("inventory report " + report + ": data file " + dataFile + " line " + lineNumber + " has "
                + what);
    }
}
