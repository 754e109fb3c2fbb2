package dify.reconciler.inventory.storage;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code <rule>-manifest.json} of one Azure Blob inventory run (CSV): when the run started, its status, the rule's
 * format, object type, filters and fields, every data file with its size, and the object count. Checked against
 * {@code <rule>-manifest.checksum} (its MD5), whose presence marks a finished run. Pure: parsed from bytes and judged
 * against what a scan needs; {@link AzureInventoryRows} reads the rows, {@link InventoryListing} the files.
 *
 * @param manifestKey where the manifest was read from, for messages
 * @param container   the daemon's container, whose blobs the rows are read for (a rule covers the account)
 * @param createdAt   {@code inventoryStartTime}: the run lists the container as of then (at the latest)
 * @param schemaFields the rule's fields; each data file's header row names its columns
 * @param objectCount {@code summary.objectCount}, -1 when absent
 */
public record AzureInventoryManifest(String manifestKey, String container, Instant createdAt, String status, String format,
        String objectType,
        boolean includesVersions, boolean includesSnapshots, List<String> schemaFields, List<DataFile> files, long objectCount)
        implements
            InventoryReport {

    /** The fields a scan needs to build the same {@link StoredObject}s a LIST gives. */
    public static final List<String> REQUIRED_FIELDS = List.of("Name", "Content-Length", "Last-Modified", "Etag");

    /** A run's folder and rule: {@code YYYY/MM/DD/HH-MM-SS/<rule>/}, in a form whose text order is time order. */
    private static final Pattern RUN = Pattern.compile("\\d{4}/\\d{2}/\\d{2}/\\d{2}-\\d{2}-\\d{2}/");

    /** Parses the manifest after checking it against the checksum file (the MD5 of the manifest's bytes, hex or base64). */
    public static AzureInventoryManifest parse(String manifestKey, String container, byte[] manifest, byte[] checksumFile) {
        String expected = new String(checksumFile, StandardCharsets.US_ASCII).trim();
        byte[] digest = InventoryListing.md5().digest(manifest);
        String hex = HexFormat.of().formatHex(digest);
        if (!expected.toLowerCase(Locale.ROOT).equals(hex) && !expected.equals(Base64.getEncoder().encodeToString(digest))) {
            throw new StorageException("inventory report " + manifestKey + ": the checksum file says MD5 " + expected
                    + " but the manifest has MD5 " + hex + " (a manifest being rewritten, or corrupt)");
        }
        JsonNode root = InventoryJson.parse(manifestKey, manifest);
        Instant start = InventoryJson.time(manifestKey, "inventoryStartTime", InventoryJson.text(manifestKey, root, "inventoryStartTime"));
        JsonNode rule = InventoryJson.field(root, "ruleDefinition");
        if (rule == null) {
            throw new StorageException("inventory report " + manifestKey + ": the manifest has no ruleDefinition");
        }
        JsonNode filters = InventoryJson.field(rule, "filters");
        List<String> fields = new ArrayList<>();
        JsonNode schema = InventoryJson.field(rule, "schemaFields");
        if (schema != null && schema.isArray()) {
            schema.forEach(f -> fields.add(f.asText()));
        }
        JsonNode files = InventoryJson.field(root, "files");
        if (files == null || !files.isArray()) {
            throw new StorageException("inventory report " + manifestKey + ": the manifest has no list of files");
        }
        List<DataFile> dataFiles = new ArrayList<>();
        for (JsonNode f : files) {
            JsonNode size = f.get("size");
            if (size == null || !size.canConvertToLong() || size.asLong() < 0) {
                throw new StorageException("inventory report " + manifestKey + ": a data file without a size: " + f);
            }
            String blob = InventoryJson.text(manifestKey, f, "blob");
            dataFiles.add(new DataFile(blob, size.asLong(), null, blob.endsWith(".gz")));
        }
        JsonNode count = InventoryJson.field(InventoryJson.field(root, "summary"), "objectCount");
        return new AzureInventoryManifest(manifestKey, container, start, InventoryJson.text(manifestKey, root, "status"),
                InventoryJson.text(manifestKey, rule, "format"), InventoryJson.text(manifestKey, rule, "objectType"),
                flag(filters, "includeBlobVersions"), flag(filters, "includeSnapshots"), List.copyOf(fields),
                List.copyOf(dataFiles), count != null && count.canConvertToLong() ? count.asLong() : -1);
    }

    private static boolean flag(JsonNode filters, String name) {
        JsonNode v = InventoryJson.field(filters, name);
        return v != null && v.asBoolean(false);
    }

    /**
     * Throws unless a scan may list from this run: finished ({@code Succeeded}), CSV, of blobs, with every
     * {@link #REQUIRED_FIELDS field} (with versions also {@code IsCurrentVersion}), no older than {@code maxAge}. The
     * container is checked row by row ({@link AzureInventoryRows}): a rule covers the account.
     */
    @Override
    public void checkUsableFor(String bucket, Instant now, Duration maxAge) {
        if (!container.equals(bucket)) {
            throw new IllegalStateException("the report was read for container " + container + ", not " + bucket);
        }
        if (!"Succeeded".equalsIgnoreCase(status)) {
            throw new StorageException("inventory report " + manifestKey + " has status " + status + ", not Succeeded");
        }
        if (!"csv".equalsIgnoreCase(format)) {
            throw new StorageException("inventory report " + manifestKey + " is " + format
                    + ": only CSV inventory reports are read (set the inventory rule's format to csv)");
        }
        if (!"blob".equalsIgnoreCase(objectType)) {
            throw new StorageException("inventory report " + manifestKey + " lists " + objectType + "s, not blobs");
        }
        for (String field : REQUIRED_FIELDS) {
            if (!schemaFields.contains(field)) {
                throw new StorageException("inventory report " + manifestKey + " lacks the field " + field + " (its fields: "
                        + String.join(", ", schemaFields) + "): add " + field + " to the inventory rule's schemaFields");
            }
        }
        if (includesVersions && !schemaFields.contains("IsCurrentVersion")) {
            throw new StorageException("inventory report " + manifestKey + " lists versions without IsCurrentVersion:"
                    + " add IsCurrentVersion, or set includeBlobVersions to false");
        }
        if (includesSnapshots && !schemaFields.contains("Snapshot")) {
            throw new StorageException("inventory report " + manifestKey + " lists snapshots without the Snapshot field:"
                    + " add Snapshot, or set includeSnapshots to false");
        }
        InventoryReport.checkAge(manifestKey, createdAt, now, maxAge);
    }

    @Override
    public boolean headerRow() {
        return true;
    }

    @Override
    public Rows rows(String dataFile, List<String> header) {
        return new AzureInventoryRows(manifestKey, container, dataFile, header)::parse;
    }

    @Override
    public OptionalLong rowCount() {
        return objectCount < 0 ? OptionalLong.empty() : OptionalLong.of(objectCount);
    }

    /** Azure documents that "in rare cases" a report lists a blob twice. */
    @Override
    public boolean duplicatesPossible() {
        return true;
    }

    /**
     * The latest finished run of rule {@code location.prefix()} in container {@code location.bucket()}: the last
     * {@code YYYY/MM/DD/HH-MM-SS/<rule>/<rule>-manifest.checksum} (written once the run has finished) and its manifest,
     * read for the daemon's {@code container}.
     */
    public static InventoryListing.Format latest(InventoryLocation location, String container) {
        String rule = location.prefix();
        String suffix = rule + "/" + rule + "-manifest.checksum";
        return reports -> {
            Optional<String> checksum;
            try (Stream<StoredObject> all = reports.list("")) {
                checksum = all.map(StoredObject::key)
                        .filter(k -> k.endsWith(suffix) && k.length() == 20 + suffix.length()
                                && RUN.matcher(k.substring(0, 20)).matches())
                        .max(String::compareTo);
            }
            String key = checksum.orElseThrow(() -> new StorageException("no finished inventory report of rule " + rule + " in "
                    + location + " (no YYYY/MM/DD/HH-MM-SS/" + suffix + "): check reconciler.storage.inventory-location"
                    + " and that the inventory rule has run"));
            String manifestKey = key.substring(0, key.length() - "checksum".length()) + "json";
            return parse("azure://" + location.bucket() + "/" + manifestKey, container, InventoryListing.readAll(reports, manifestKey),
                    InventoryListing.readAll(reports, key));
        };
    }
}
