package dify.reconciler.inventory.storage;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code <config id>_<snapshot time>_manifest.json} of one GCS Storage Insights inventory report (CSV): its
 * snapshot time, the report configuration (format, CSV options, metadata fields, source bucket), the shard count and
 * names and the records processed. GCS writes no checksum of the manifest or the shards: integrity is the shard count
 * and the row count. Pure: parsed from bytes and judged against what a scan needs; {@link GcsInventoryRows} reads the
 * rows, {@link InventoryListing} the files. Field names are accepted in snake_case and camelCase.
 *
 * @param createdAt      {@code snapshot_time}: all the report's data is as of then
 * @param sourceBucket   the configuration's source bucket, null when the manifest does not say
 * @param metadataFields the configuration's fields, in column order
 * @param header         whether each shard starts with a header row ({@code header_required})
 */
public record GcsInventoryManifest(String manifestKey, Instant createdAt, String format, String sourceBucket,
        List<String> metadataFields, boolean header, String delimiter, String recordSeparator, List<DataFile> files,
        long recordsProcessed) implements InventoryReport {

    /** The fields a scan needs to build the same {@link StoredObject}s a LIST gives (crc32c for composite objects). */
    public static final List<String> REQUIRED_FIELDS = List.of("name", "size", "updated", "md5Hash");

    /**
     * Parses the manifest at {@code manifestKey} (a bucket's object name after {@code gs://bucket/}); shard names without
     * a '/' are in the manifest's folder.
     */
    public static GcsInventoryManifest parse(String manifestKey, byte[] manifest) {
        JsonNode root = InventoryJson.parse(manifestKey, manifest);
        Instant snapshot = InventoryJson.time(manifestKey, "snapshot_time",
                InventoryJson.text(manifestKey, root, "snapshot_time", "snapshotTime"));
        JsonNode config = InventoryJson.field(root, "report_config", "reportConfig");
        if (config == null) {
            throw new StorageException("inventory report " + manifestKey + ": the manifest has no report_config");
        }
        JsonNode csv = InventoryJson.field(config, "csv_options", "csvOptions");
        JsonNode parquet = InventoryJson.field(config, "parquet_options", "parquetOptions");
        String format = csv != null ? "CSV" : parquet != null ? "Parquet" : "CSV";
        JsonNode options = InventoryJson.field(config, "object_metadata_report_options", "objectMetadataReportOptions");
        List<String> fields = new ArrayList<>();
        JsonNode metadata = InventoryJson.field(options, "metadata_fields", "metadataFields");
        if (metadata != null && metadata.isArray()) {
            metadata.forEach(f -> fields.add(f.asText()));
        }
        JsonNode filters = InventoryJson.field(options, "storage_filters", "storageFilters");
        JsonNode bucket = InventoryJson.field(filters, "bucket");
        JsonNode headerRequired = InventoryJson.field(csv, "header_required", "headerRequired");
        JsonNode delimiter = InventoryJson.field(csv, "delimiter");
        JsonNode separator = InventoryJson.field(csv, "record_separator", "recordSeparator");
        JsonNode shards = InventoryJson.field(root, "report_shards_file_names", "reportShardsFileNames");
        if (shards == null || !shards.isArray()) {
            throw new StorageException("inventory report " + manifestKey + ": the manifest has no report_shards_file_names");
        }
        int scheme = manifestKey.indexOf("://");
        String folder = manifestKey.substring(scheme < 0 ? 0 : manifestKey.indexOf('/', scheme + 3) + 1,
                manifestKey.lastIndexOf('/') + 1);
        String reportBucket = scheme < 0 ? null : manifestKey.substring(scheme + 3, manifestKey.indexOf('/', scheme + 3));
        List<DataFile> files = new ArrayList<>();
        for (JsonNode shard : shards) {
            String name = shard.asText();
            if (name.endsWith(".parquet")) {
                format = "Parquet";
            }
            files.add(new DataFile(shardObject(manifestKey, reportBucket, folder, name), -1, null, name.endsWith(".gz")));
        }
        JsonNode count = InventoryJson.field(root, "shard_count", "shardCount", "shards_count");
        if (count != null && count.asLong(-1) != files.size()) {
            throw new StorageException("inventory report " + manifestKey + " says shard_count " + count.asText() + " but names "
                    + files.size() + " shards");
        }
        JsonNode records = InventoryJson.field(root, "records_processed", "recordsProcessed");
        return new GcsInventoryManifest(manifestKey, snapshot, format, bucket == null ? null : bucket.asText(),
                List.copyOf(fields), headerRequired == null || headerRequired.asBoolean(true),
                delimiter == null ? "," : delimiter.asText(), separator == null ? "\n" : separator.asText(), List.copyOf(files),
                records != null && records.canConvertToLong() ? records.asLong() : -1);
    }

    /**
     * The object name of a shard the manifest names: a bare name (as Google's examples write them) is in the manifest's
     * folder; a {@code gs://bucket/object} URI (not documented; seen in third-party readers) must be of the report's
     * bucket; any other name with a '/' is read as an object name of the report's bucket.
     */
    private static String shardObject(String manifestKey, String reportBucket, String folder, String name) {
        if (name.startsWith("gs://")) {
            String rest = name.substring("gs://".length());
            int slash = rest.indexOf('/');
            if (slash <= 0 || reportBucket != null && !rest.substring(0, slash).equals(reportBucket)) {
                throw new StorageException("inventory report " + manifestKey + " names a shard " + name
                        + " outside the report's bucket " + reportBucket);
            }
            return rest.substring(slash + 1);
        }
        return name.contains("/") ? name : folder + name;
    }

    /**
     * Throws unless a scan of {@code bucket} may list from this report: CSV with ',' between fields and a line break
     * between records, of that bucket, with every {@link #REQUIRED_FIELDS field}, no older than {@code maxAge}.
     */
    @Override
    public void checkUsableFor(String bucket, Instant now, Duration maxAge) {
        if (!"CSV".equals(format)) {
            throw new StorageException("inventory report " + manifestKey + " is " + format
                    + ": only CSV inventory reports are read (set the report configuration's format to CSV)");
        }
        if (!",".equals(delimiter) || !("\n".equals(recordSeparator) || "\r\n".equals(recordSeparator))) {
            throw new StorageException("inventory report " + manifestKey + " separates fields with '" + delimiter
                    + "' and records with '" + recordSeparator.replace("\n", "\\n").replace("\r", "\\r")
                    + "': set the CSV options to ',' and '\\n'");
        }
        if (sourceBucket != null && !bucket.equals(sourceBucket)) {
            throw new StorageException("inventory report " + manifestKey + " describes bucket " + sourceBucket
                    + ", not the daemon's bucket " + bucket + " (check reconciler.storage.inventory-location)");
        }
        for (String field : REQUIRED_FIELDS) {
            if (!metadataFields.isEmpty() && !metadataFields.contains(field)) {
                throw new StorageException("inventory report " + manifestKey + " lacks the field " + field + " (its fields: "
                        + String.join(", ", metadataFields) + "): add " + field + " to the report configuration's metadata fields");
            }
        }
        if (!header && metadataFields.isEmpty()) {
            throw new StorageException("inventory report " + manifestKey + " has neither a header row nor metadata_fields:"
                    + " its columns are unknown");
        }
        InventoryReport.checkAge(manifestKey, createdAt, now, maxAge);
    }

    @Override
    public boolean headerRow() {
        return header;
    }

    /** The rows of a shard of the daemon's {@code bucket}: columns from the header row, else from the manifest. */
    public GcsInventoryRows rows(String bucket, String dataFile, List<String> headerRow) {
        return new GcsInventoryRows(manifestKey, bucket, dataFile, header ? headerRow : metadataFields);
    }

    @Override
    public Rows rows(String dataFile, List<String> headerRow) {
        return rows(sourceBucket, dataFile, headerRow)::parse;
    }

    @Override
    public OptionalLong rowCount() {
        return recordsProcessed < 0 ? OptionalLong.empty() : OptionalLong.of(recordsProcessed);
    }

    /** The snapshot time in a manifest's name, {@code <config id>_<YYYY-MM-DDTHH:MM>_manifest.json}. */
    private static final Pattern SNAPSHOT_IN_NAME = Pattern.compile("_(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}[^_/]*)_manifest\\.json$");

    /**
     * The latest of the manifests among {@code keys}: by the snapshot time in the name (fixed-width, so text order is time
     * order), then by the whole name; a name without one counts as oldest. Not by the whole name alone: with the default
     * destination path {@code <config id>/dt=<time>/} the config id comes first, and a path holding two configurations'
     * reports would give the other configuration's, however old.
     */
    static Optional<String> latestManifest(Stream<String> keys) {
        return keys.filter(k -> k.endsWith("_manifest.json"))
                .max(Comparator.comparing(GcsInventoryManifest::snapshotInName).thenComparing(Comparator.naturalOrder()));
    }

    private static String snapshotInName(String key) {
        Matcher m = SNAPSHOT_IN_NAME.matcher(key);
        return m.find() ? m.group(1) : "";
    }

    /**
     * The latest report under {@code location} ({@code gs://bucket/path/}): the {@link #latestManifest latest}
     * {@code …_manifest.json} below the path.
     */
    public static InventoryListing.Format latest(InventoryLocation location, String bucket) {
        return reports -> {
            Optional<String> manifest;
            try (Stream<StoredObject> all = reports.list(location.prefix())) {
                manifest = latestManifest(all.map(StoredObject::key));
            }
            String key = manifest.orElseThrow(() -> new StorageException("no inventory report under " + location
                    + " (no …_manifest.json): check reconciler.storage.inventory-location and that the report configuration"
                    + " has delivered a report"));
            GcsInventoryManifest m = parse("gs://" + location.bucket() + "/" + key, InventoryListing.readAll(reports, key));
            // The rows are read for the daemon's bucket, whether or not the manifest names its source bucket.
            return m.sourceBucket != null
                    ? m
                    : new GcsInventoryManifest(m.manifestKey, m.createdAt, m.format, bucket,
                            m.metadataFields, m.header, m.delimiter, m.recordSeparator, m.files, m.recordsProcessed);
        };
    }
}
