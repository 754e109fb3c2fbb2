package dify.reconciler.inventory.storage;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One provider's inventory report as its manifest describes it: when it was taken, its data files and how a row of
 * them becomes the {@link StoredObject} a LIST of the same object gives. Implemented by the pure manifest readers
 * ({@link S3InventoryManifest}, {@link AzureInventoryManifest}, {@link GcsInventoryManifest}); {@link InventoryListing}
 * reads the files, stages the rows and lists them, the same for every provider.
 */
public interface InventoryReport {

    /** Where the manifest was read from, for messages. */
    String manifestKey();

    /** The report's time {@code T}: objects written after it may be absent, objects deleted after it present. */
    Instant createdAt();

    /** The data files, each read whole. */
    List<DataFile> files();

    /**
     * Fails with {@link StorageException} when the report cannot stand for the daemon's {@code bucket} (container) now:
     * another bucket, not CSV, lacking a field a scan needs, older than {@code maxAge}.
     */
    void checkUsableFor(String bucket, Instant now, Duration maxAge);

    /** Whether each data file starts with a header row naming its columns (then passed to {@link #rows}). */
    boolean headerRow();

    /**
     * The reader of one data file's rows; {@code header} is its first row when {@link #headerRow()}, else empty.
     *
     * @throws StorageException when the header lacks a field or does not match the manifest
     */
    Rows rows(String dataFile, List<String> header);

    /** Rows in all data files together, where the manifest says (a row count); empty when it does not. */
    default OptionalLong rowCount() {
        return OptionalLong.empty();
    }

    /**
     * Whether the provider documents that a report may list one object twice (Azure: "in rare cases"): then identical
     * rows of one key count once; rows of one key that differ still fail the scan.
     */
    default boolean duplicatesPossible() {
        return false;
    }

    /** The rows of one data file, each a CSV record's fields. */
    @FunctionalInterface
    interface Rows {
        /**
         * The object of record {@code number} (from 1, header included), or empty for a row that is not a current object
         * of the daemon's bucket (an older version, a snapshot, a delete marker, another container's blob).
         *
         * @throws StorageException naming the file and record when the row cannot be read
         */
        Optional<StoredObject> parse(List<String> fields, long number);
    }

    /**
     * One data file of a report.
     *
     * @param key  its key in the report's bucket (container)
     * @param size its size in bytes as stored (compressed), or -1 when the manifest does not say
     * @param md5  its MD5 (hex), or null when the manifest does not give one
     * @param gzip whether it is gzip'd
     */
    record DataFile(String key, long size, String md5, boolean gzip) {
    }

    /**
     * Fails when a report taken at {@code createdAt} is older than {@code maxAge} at {@code now}: never a silent
     * fallback to a stale view of the bucket.
     */
    static void checkAge(String manifestKey, Instant createdAt, Instant now, Duration maxAge) {
        Duration age = Duration.between(createdAt, now);
        if (age.compareTo(maxAge) > 0) {
            throw new StorageException("inventory report " + manifestKey + " was taken at " + createdAt + ", " + age
                    + " ago, older than reconciler.storage.inventory-max-age (" + maxAge + "): is the inventory still delivered?");
        }
    }
}
