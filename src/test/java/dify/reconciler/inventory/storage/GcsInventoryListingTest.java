package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.testsupport.GcsTestServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * GCS Storage Insights inventory reports on the GCS test server: {@code <config>_<snapshot>_manifest.json} beside its
 * CSV shards ({@code <config>_<snapshot>_<n>.csv}, a header row), a noncurrent version ({@code timeDeleted} set) beside
 * each live object.
 */
class GcsInventoryListingTest extends CloudInventoryListingContract {

    private static final GcsTestServer GCS = GcsTestServer.shared();
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static final S3Timeouts TIMEOUTS = new S3Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(20));
    private static final DateTimeFormatter SNAPSHOT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm").withZone(ZoneOffset.UTC);
    private static final String CONFIG = "1A34-F2E456";
    private static final String PATH = "reports/" + CONFIG + "/";

    private String sourceBucket;
    private String reportBucket;
    private GcsObjectStorage source;

    @BeforeEach
    void buckets() {
        int n = BUCKETS.incrementAndGet();
        sourceBucket = GCS.createBucket("inv-src-" + n + "-" + System.nanoTime());
        reportBucket = GCS.createBucket("inv-dst-" + n + "-" + System.nanoTime());
        source = open(sourceBucket);
        seed();
    }

    @AfterEach
    void close() {
        source.close();
        GCS.deleteBucket(sourceBucket);
        GCS.deleteBucket(reportBucket);
    }

    private static GcsObjectStorage open(String bucket) {
        return GcsObjectStorage.create(new GcsSettings(bucket, null, URI.create(GCS.endpoint().toString())), TIMEOUTS,
                StorageRequestListener.NO_OP, null);
    }

    @Override
    ObjectStorage source() {
        return source;
    }

    @Override
    ObjectStorage reports() {
        return open(reportBucket);
    }

    @Override
    void putSource(String key, byte[] bytes) {
        GCS.put(sourceBucket, key, bytes);
    }

    @Override
    void putReport(String key, byte[] bytes) {
        GCS.put(reportBucket, key, bytes);
    }

    @Override
    void deleteReport(String key) {
        GCS.remove(reportBucket, key);
    }

    @Override
    byte[] getReport(String key) {
        return GCS.contents(reportBucket).get(key);
    }

    @Override
    InventoryListing.Format format() {
        return GcsInventoryManifest.latest(InventoryLocation.parse("gs://" + reportBucket + "/" + PATH), sourceBucket);
    }

    @Override
    String bucket() {
        return sourceBucket;
    }

    @Override
    List<String> fields(String without) {
        List<String> all = new ArrayList<>(List.of("project", "bucket", "name", "size", "updated", "timeDeleted", "crc32c",
                "storageClass", "md5Hash"));
        all.remove(without);
        return all;
    }

    @Override
    String shortFileMessage() {
        return "rows in its data files, the manifest says";
    }

    @Override
    List<String> write(Report report) {
        List<String> fields = report.fields != null ? report.fields : fields(null);
        List<String> rows = new ArrayList<>();
        List<StoredObject> objects;
        try (var all = source.list("")) {
            objects = all.toList();
        }
        for (StoredObject o : objects) {
            if (report.keep.test(o.key())) {
                rows.add(row(fields, o, ""));
                // A noncurrent version: deleted (replaced) since, a row a reader must leave out.
                rows.add(row(fields, new StoredObject(o.key(), o.size() + 3, o.lastModified(), "md5:AAAA"),
                        o.lastModified().toString()));
            }
        }
        String base = PATH + "dt=" + SNAPSHOT.format(report.takenAt) + "/" + CONFIG + "_" + SNAPSHOT.format(report.takenAt) + "_";
        List<String> keys = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<List<String>> parts = split(rows, 3);
        for (int f = 0; f < parts.size(); f++) {
            String key = base + f + (report.format.equals("csv") ? ".csv" : ".parquet");
            putReport(key, (csv(fields) + String.join("", parts.get(f))).getBytes(StandardCharsets.UTF_8));
            keys.add(key);
            names.add("\"" + key.substring(key.lastIndexOf('/') + 1) + "\"");
        }
        String options = report.format.equals("csv")
                ? "\"csv_options\":{\"record_separator\":\"\\n\",\"delimiter\":\",\",\"header_required\":true}"
                : "\"parquet_options\":{}";
        String manifest = "{\"report_config\":{\"name\":\"projects/1/locations/us/reportConfigs/" + CONFIG + "\"," + options
                + ",\"object_metadata_report_options\":{\"metadata_fields\":["
                + fields.stream().map(f -> "\"" + f + "\"").collect(Collectors.joining(",")) + "],\"storage_filters\":{\"bucket\":\""
                + sourceBucket + "\"}}},\"records_processed\":" + rows.size() + ",\"snapshot_time\":\"" + report.takenAt
                + "\",\"shard_count\":" + keys.size() + ",\"report_shards_file_names\":[" + String.join(",", names) + "]}";
        putReport(base + "manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
        return keys;
    }

    private String row(List<String> fields, StoredObject o, String deleted) {
        List<String> values = new ArrayList<>();
        for (String f : fields) {
            values.add(switch (f) {
                case "project" -> "1234";
                case "bucket" -> sourceBucket;
                case "name" -> o.key();
                case "size" -> Long.toString(o.size());
                case "updated" -> o.lastModified().toString();
                case "timeDeleted" -> deleted;
                case "md5Hash" -> o.etag().startsWith("md5:") ? o.etag().substring(4) : "";
                case "crc32c" -> o.etag().startsWith("crc32c:") ? o.etag().substring(7) : "AAAAAA==";
                default -> "STANDARD";
            });
        }
        return csv(values);
    }

    @Test
    void aShardMissingFromTheManifestsCountFails() {
        Report r = new Report();
        write(r);
        // The latest manifest names one shard less than its shard_count says.
        String manifestKey = GCS.contents(reportBucket).keySet().stream().filter(k -> k.endsWith("_manifest.json")).findFirst()
                .orElseThrow();
        String manifest = new String(getReport(manifestKey), StandardCharsets.UTF_8).replaceFirst(",\"[^\"]*_2\\.csv\"", "");
        putReport(manifestKey, manifest.getBytes(StandardCharsets.UTF_8));
        StorageException e = assertThrows(StorageException.class, () -> open(Instant.now()).close());
        assertTrue(e.getMessage().contains("says shard_count 3 but names 2 shards"), e.getMessage());
    }

    @Test
    void aRowOfAnotherBucketFails() {
        Report r = new Report();
        List<String> files = write(r);
        String text = new String(getReport(files.get(0)), StandardCharsets.UTF_8).replace("\"" + sourceBucket + "\"", "\"elsewhere\"");
        putReport(files.get(0), text.getBytes(StandardCharsets.UTF_8));
        StorageException e = assertThrows(StorageException.class, () -> open(Instant.now()).close());
        assertTrue(e.getMessage().contains("an object of bucket elsewhere, not " + sourceBucket), e.getMessage());
        assertEquals(3, files.size());
    }
}
