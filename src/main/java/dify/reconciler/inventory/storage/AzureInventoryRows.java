package dify.reconciler.inventory.storage;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * The data rows of one Azure Blob inventory CSV file, turned into the {@link StoredObject} a LIST of the same blob gives.
 * The columns are named by the file's header row. {@code Name} is {@code <container>/<blob name>} (a rule covers the
 * account): rows of other containers are left out, the container's name is cut off; names are not encoded (CSV quoting
 * only). {@code Last-Modified} (RFC 3339 or RFC 1123) is cut to whole seconds, as the service's listing gives it;
 * {@code Etag} is the service's {@code 0x8D…}, kept as written. Snapshots, versions that are not current, deleted blobs
 * and folders of a hierarchical namespace ({@code hdi_isfolder}) are not objects a LIST gives: left out. Pure; a row
 * that cannot be read throws {@link StorageException} naming the file and record.
 */
public final class AzureInventoryRows {

    private final String report;
    private final String containerPrefix;
    private final String dataFile;
    private final int columnCount;
    private final int name;
    private final int length;
    private final int modified;
    private final int etag;
    private final int snapshot;
    private final int current;
    private final int deleted;
    private final int folder;

    AzureInventoryRows(String report, String container, String dataFile, List<String> header) {
        this.report = report;
        this.containerPrefix = container + "/";
        this.dataFile = dataFile;
        this.columnCount = header.size();
        for (String field : AzureInventoryManifest.REQUIRED_FIELDS) {
            if (!header.contains(field)) {
                throw new StorageException("inventory report " + report + ": data file " + dataFile + " has no column " + field
                        + " (its header: " + String.join(", ", header) + ")");
            }
        }
        this.name = header.indexOf("Name");
        this.length = header.indexOf("Content-Length");
        this.modified = header.indexOf("Last-Modified");
        this.etag = header.indexOf("Etag");
        this.snapshot = header.indexOf("Snapshot");
        this.current = header.indexOf("IsCurrentVersion");
        this.deleted = header.indexOf("Deleted");
        this.folder = header.indexOf("hdi_isfolder");
    }

    /** The blob of record {@code number}, or empty for another container's blob, a snapshot, an old version. */
    public Optional<StoredObject> parse(List<String> fields, long number) {
        if (fields.size() != columnCount) {
            throw malformed(number, fields.size() + " fields where the header has " + columnCount);
        }
        String full = fields.get(name);
        if (!full.startsWith(containerPrefix)) {
            return Optional.empty();
        }
        if (snapshot >= 0 && !fields.get(snapshot).isEmpty()
                || current >= 0 && !"true".equalsIgnoreCase(fields.get(current))
                || deleted >= 0 && "true".equalsIgnoreCase(fields.get(deleted))
                || folder >= 0 && "true".equalsIgnoreCase(fields.get(folder))) {
            return Optional.empty();
        }
        String key = full.substring(containerPrefix.length());
        long size;
        try {
            size = Long.parseLong(fields.get(length));
        } catch (NumberFormatException e) {
            throw malformed(number, "no valid Content-Length: " + e.getMessage());
        }
        Instant lastModified = time(fields.get(modified), number);
        String tag = fields.get(etag);
        if (key.isEmpty() || size < 0 || tag.isEmpty()) {
            throw malformed(number, "an empty name, a negative size or no Etag");
        }
        return Optional.of(new StoredObject(key, size, lastModified, tag));
    }

    private Instant time(String value, long number) {
        try {
            Instant t = value.length() > 0 && Character.isDigit(value.charAt(0))
                    ? ZonedDateTime.parse(value, DateTimeFormatter.ISO_DATE_TIME).toInstant()
                    : ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            return t.truncatedTo(ChronoUnit.SECONDS);
        } catch (DateTimeException e) {
            throw malformed(number, "no valid Last-Modified: " + e.getMessage());
        }
    }

    private StorageException malformed(long number, String what) {
        return new StorageException("inventory report " + report + ": data file " + dataFile + " record " + number + " has "
                + what);
    }
}
