package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.testsupport.GcsInventoryReportWriter;
import dify.reconciler.testsupport.GcsTestServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
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
    private static final String PATH = GcsInventoryReportWriter.PATH;

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
        List<String> all = new ArrayList<>(GcsInventoryReportWriter.FIELDS);
        all.remove(without);
        return all;
    }

    @Override
    String shortFileMessage() {
        return "rows in its data files, the manifest says";
    }

    @Override
    List<String> write(Report report) {
        GcsInventoryReportWriter writer = new GcsInventoryReportWriter(source, sourceBucket, reportBucket, this::putReport)
                .takenAt(report.takenAt).only(report.keep).format(report.format);
        if (report.fields != null) {
            writer.fields(report.fields);
        }
        return writer.write();
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
