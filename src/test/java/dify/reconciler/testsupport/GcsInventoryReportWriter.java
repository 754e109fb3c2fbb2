package dify.reconciler.testsupport;

import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Writes a GCS Storage Insights inventory report of a bucket as Cloud Storage writes one: under the configuration's
 * destination path {@code <config id>/dt=<snapshot>/}, shards {@code <config id>_<snapshot>_<n>.csv} (a header row,
 * every field quoted, rows shuffled over three shards) and {@code <config id>_<snapshot>_manifest.json} (the shape
 * Google's {@code ReportDetail.report_path_prefix} example names; the manifest's fields as docs/inventory-reports.md
 * lists them). Beside each live object a noncurrent version ({@code timeDeleted} set), which a reader must leave out.
 */
public final class GcsInventoryReportWriter {

    /** The report configuration's id. */
    public static final String CONFIG = "1A34-F2E456-12B456-1C3D";
    /** The destination path: the location is {@code gs://<report bucket>/reports/<config id>/}. */
    public static final String PATH = "reports/" + CONFIG + "/";
    /** The metadata fields by default, {@code md5Hash} last. */
    public static final List<String> FIELDS = List.of("project", "bucket", "name", "size", "updated", "timeDeleted", "crc32c",
            "storageClass", "md5Hash");
    private static final DateTimeFormatter SNAPSHOT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm").withZone(ZoneOffset.UTC);

    private final ObjectStorage source;
    private final String bucket;
    private final String reportBucket;
    private final BiConsumer<String, byte[]> put;
    private Instant takenAt = Instant.now().plusSeconds(1);
    private Predicate<String> keep = k -> true;
    private List<String> fields = FIELDS;
    private String format = "csv";

    /**
     * @param source the daemon's bucket as the product lists it (the report is of what it holds now)
     * @param bucket its name
     * @param put    writes an object of the report bucket {@code reportBucket}
     */
    public GcsInventoryReportWriter(ObjectStorage source, String bucket, String reportBucket, BiConsumer<String, byte[]> put) {
        this.source = source;
        this.bucket = bucket;
        this.reportBucket = reportBucket;
        this.put = put;
    }

    public GcsInventoryReportWriter takenAt(Instant t) {
        this.takenAt = t;
        return this;
    }

    public GcsInventoryReportWriter only(Predicate<String> k) {
        this.keep = k;
        return this;
    }

    public GcsInventoryReportWriter fields(List<String> f) {
        this.fields = List.copyOf(f);
        return this;
    }

    public GcsInventoryReportWriter format(String f) {
        this.format = f;
        return this;
    }

    /** {@code reconciler.storage.inventory-location} for this report. */
    public String location() {
        return "gs://" + reportBucket + "/" + PATH;
    }

    /** Writes the report; returns its shards' object names. */
    public List<String> write() {
        List<String> rows = new ArrayList<>();
        List<StoredObject> objects;
        try (Stream<StoredObject> all = source.list("")) {
            objects = all.toList();
        }
        for (StoredObject o : objects) {
            if (keep.test(o.key())) {
                rows.add(row(o, ""));
                rows.add(row(new StoredObject(o.key(), o.size() + 3, o.lastModified(), "md5:AAAA"), o.lastModified().toString()));
            }
        }
        String snapshot = SNAPSHOT.format(takenAt);
        String base = PATH + "dt=" + snapshot + "/" + CONFIG + "_" + snapshot + "_";
        List<String> keys = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<List<String>> parts = AzureInventoryReportWriter.split(rows, 3);
        for (int f = 0; f < parts.size(); f++) {
            String key = base + f + (format.equals("csv") ? ".csv" : ".parquet");
            put.accept(key, (AzureInventoryReportWriter.csv(fields) + String.join("", parts.get(f))).getBytes(StandardCharsets.UTF_8));
            keys.add(key);
            names.add("\"" + key.substring(key.lastIndexOf('/') + 1) + "\"");
        }
        String options = format.equals("csv")
                ? "\"csv_options\":{\"record_separator\":\"\\n\",\"delimiter\":\",\",\"header_required\":true}"
                : "\"parquet_options\":{}";
        String manifest = "{\"report_config\":{\"name\":\"projects/1/locations/us/reportConfigs/" + CONFIG + "\"," + options
                + ",\"object_metadata_report_options\":{\"metadata_fields\":["
                + fields.stream().map(f -> "\"" + f + "\"").collect(Collectors.joining(",")) + "],\"storage_filters\":{\"bucket\":\""
                + bucket + "\"}}},\"records_processed\":" + rows.size() + ",\"snapshot_time\":\"" + takenAt + "\",\"shard_count\":"
                + keys.size() + ",\"report_shards_file_names\":[" + String.join(",", names) + "]}";
        put.accept(base + "manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
        return keys;
    }

    private String row(StoredObject o, String deleted) {
        List<String> values = new ArrayList<>();
        for (String f : fields) {
            values.add(switch (f) {
                case "project" -> "1234";
                case "bucket" -> bucket;
                case "name" -> o.key();
                case "size" -> Long.toString(o.size());
                case "updated" -> o.lastModified().toString();
                case "timeDeleted" -> deleted;
                case "md5Hash" -> o.etag().startsWith("md5:") ? o.etag().substring(4) : "";
                case "crc32c" -> o.etag().startsWith("crc32c:") ? o.etag().substring(7) : "AAAAAA==";
                default -> "STANDARD";
            });
        }
        return AzureInventoryReportWriter.csv(values);
    }
}
