package dify.reconciler.inventory.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The {@code manifest.json} of one Amazon S3 Inventory report (CSV format): which bucket it describes, when it was
 * taken, the columns of its rows and every data file with its size and MD5. Pure: parsed from bytes and judged against
 * what a scan needs; reading the objects is {@link S3InventoryListing}'s job.
 *
 * @param manifestKey where the manifest was read from, for messages
 * @param createdAt   the report's time {@code T}: objects written after it may be absent, objects deleted after it present
 * @param columns     the {@code fileSchema}, in row order
 */
public record S3InventoryManifest(String manifestKey, String sourceBucket, Instant createdAt, String fileFormat,
        List<String> columns, List<DataFile> files) implements InventoryReport {

    /** The columns a scan needs to build the same {@link StoredObject}s a LIST gives. */
    public static final List<String> REQUIRED_COLUMNS = List.of("Bucket", "Key", "Size", "LastModifiedDate", "ETag");

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Parses {@code manifest.json} after checking it against {@code manifest.checksum} (the MD5 of the manifest's bytes,
     * hex); any mismatch or malformed field throws {@link StorageException} naming the manifest.
     */
    public static S3InventoryManifest parse(String manifestKey, byte[] manifest, byte[] checksumFile) {
        String expected = new String(checksumFile, StandardCharsets.US_ASCII).trim().toLowerCase(Locale.ROOT);
        String actual = md5Hex(manifest);
        if (!expected.equals(actual)) {
            throw new StorageException("inventory report " + manifestKey + ": manifest.checksum says MD5 " + expected
                    + " but manifest.json has MD5 " + actual + " (a manifest being rewritten, or corrupt)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(manifest);
        } catch (IOException e) {
            throw new StorageException("inventory report " + manifestKey + ": manifest.json is not JSON: " + e.getMessage(), e);
        }
        String source = text(root, "sourceBucket", manifestKey);
        String created = text(root, "creationTimestamp", manifestKey);
        Instant createdAt;
        try {
            createdAt = Instant.ofEpochMilli(Long.parseLong(created.trim()));
        } catch (NumberFormatException e) {
            throw new StorageException("inventory report " + manifestKey + ": creationTimestamp '" + created
                    + "' is not milliseconds since the epoch", e);
        }
        String format = text(root, "fileFormat", manifestKey);
        List<String> columns = Arrays.stream(text(root, "fileSchema", manifestKey).split(",")).map(String::trim).toList();
        JsonNode files = root.get("files");
        if (files == null || !files.isArray()) {
            throw new StorageException("inventory report " + manifestKey + ": manifest.json has no list of files");
        }
        List<DataFile> dataFiles = new ArrayList<>();
        for (JsonNode f : files) {
            JsonNode size = f.get("size");
            if (size == null || !size.canConvertToLong() || size.asLong() < 0) {
                throw new StorageException("inventory report " + manifestKey + ": a data file without a size: " + f);
            }
            dataFiles.add(new DataFile(text(f, "key", manifestKey), size.asLong(),
                    text(f, "MD5checksum", manifestKey).toLowerCase(Locale.ROOT), true));
        }
        return new S3InventoryManifest(manifestKey, source, createdAt, format, columns, List.copyOf(dataFiles));
    }

    /**
     * Throws {@link StorageException} unless a scan of {@code bucket} at {@code now} may list from this report: CSV, of
     * that bucket, with every {@link #REQUIRED_COLUMNS column} (a versioned report also with {@code IsLatest}), and no
     * older than {@code maxAge}. Never a silent fallback: the message names the report and what to change.
     */
    public void checkUsableFor(String bucket, Instant now, Duration maxAge) {
        if (!"CSV".equalsIgnoreCase(fileFormat)) {
            throw new StorageException("inventory report " + manifestKey + " is " + fileFormat
                    + ": only CSV inventory reports are read (set the inventory configuration's output format to CSV)");
        }
        if (!bucket.equals(sourceBucket)) {
            throw new StorageException("inventory report " + manifestKey + " describes bucket " + sourceBucket
                    + ", not the daemon's bucket " + bucket + " (check reconciler.storage.inventory-location)");
        }
        for (String column : REQUIRED_COLUMNS) {
            if (!columns.contains(column)) {
                throw new StorageException("inventory report " + manifestKey + " lacks the field " + column + " (its fields: "
                        + String.join(", ", columns) + "): add " + column + " to the inventory configuration's fields");
            }
        }
        if (columns.contains("VersionId") && !columns.contains("IsLatest")) {
            throw new StorageException("inventory report " + manifestKey + " lists versions without IsLatest:"
                    + " include IsLatest (and IsDeleteMarker), or list current versions only");
        }
        InventoryReport.checkAge(manifestKey, createdAt, now, maxAge);
    }

    /** Reads this report's rows (data lines) into objects; see {@link S3InventoryRows}. */
    public S3InventoryRows rows() {
        return new S3InventoryRows(manifestKey, sourceBucket, columns);
    }

    /** S3 writes no header row: the manifest's {@code fileSchema} names the columns. */
    @Override
    public boolean headerRow() {
        return false;
    }

    @Override
    public Rows rows(String dataFile, List<String> header) {
        S3InventoryRows rows = rows();
        return (fields, number) -> rows.parse(fields, dataFile, number);
    }

    /**
     * The latest report in the configuration's folder {@code location} ({@code s3://…}): the last
     * {@code YYYY-MM-DDTHH-MMZ/} folder's {@code manifest.json}, checked against its {@code manifest.checksum}.
     */
    public static InventoryListing.Format latest(InventoryLocation location) {
        return reports -> {
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
            return parse("s3://" + location.bucket() + "/" + manifestKey, InventoryListing.readAll(reports, manifestKey),
                    InventoryListing.readAll(reports, folder + "manifest.checksum"));
        };
    }

    static String md5Hex(byte[] bytes) {
        return HexFormat.of().formatHex(InventoryListing.md5().digest(bytes));
    }

    private static String text(JsonNode node, String field, String manifestKey) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull() || value.isContainerNode()) {
            throw new StorageException("inventory report " + manifestKey + ": manifest.json has no " + field);
        }
        return value.asText();
    }
}
