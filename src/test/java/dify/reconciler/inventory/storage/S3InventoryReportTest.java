package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The pure parts of listing from an S3 Inventory report: manifest, rows, location, coverage. */
class S3InventoryReportTest {

    private static final Instant T = Instant.parse("2026-12-06T01:00:00Z");
    private static final String SCHEMA = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag";

    private static byte[] manifest(String schema, Instant created) {
        return ("{\"sourceBucket\":\"daemon\",\"destinationBucket\":\"arn:aws:s3:::inv\",\"version\":\"2016-11-30\","
                + "\"creationTimestamp\":\"" + created.toEpochMilli() + "\",\"fileFormat\":\"CSV\",\"fileSchema\":\"" + schema
                + "\",\"files\":[{\"key\":\"p/daemon/c/data/1.csv.gz\",\"size\":10,\"MD5checksum\":\"ABCDEF0123456789abcdef0123456789\"}]}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static S3InventoryManifest parsed(String schema) {
        byte[] m = manifest(schema, T);
        return S3InventoryManifest.parse("m", m, (S3InventoryManifest.md5Hex(m) + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void theManifestIsReadWhenItsChecksumMatches() {
        S3InventoryManifest m = parsed(SCHEMA);
        assertEquals("daemon", m.sourceBucket());
        assertEquals(T, m.createdAt());
        assertEquals(List.of("Bucket", "Key", "VersionId", "IsLatest", "IsDeleteMarker", "Size", "LastModifiedDate", "ETag"),
                m.columns());
        assertEquals(List.of(new InventoryReport.DataFile("p/daemon/c/data/1.csv.gz", 10, "abcdef0123456789abcdef0123456789", true)),
                m.files());
        m.checkUsableFor("daemon", T.plus(Duration.ofHours(36)), Duration.ofHours(36));
    }

    @Test
    void aManifestWhoseChecksumDiffersIsRefused() {
        byte[] m = manifest(SCHEMA, T);
        StorageException e = assertThrows(StorageException.class,
                () -> S3InventoryManifest.parse("m", m, S3InventoryManifest.md5Hex(new byte[] {1}).getBytes(StandardCharsets.US_ASCII)));
        assertTrue(e.getMessage().contains("manifest.checksum says MD5"), e.getMessage());
    }

    @Test
    void aReportTooOldOfAnotherBucketWithoutAFieldOrNotCsvIsRefusedNamingWhy() {
        S3InventoryManifest m = parsed(SCHEMA);
        assertRefused(() -> m.checkUsableFor("daemon", T.plus(Duration.ofHours(36)).plusMillis(1), Duration.ofHours(36)),
                "older than reconciler.storage.inventory-max-age");
        assertRefused(() -> m.checkUsableFor("other", T, Duration.ofHours(36)), "describes bucket daemon, not the daemon's bucket other");
        for (String field : S3InventoryManifest.REQUIRED_COLUMNS) {
            String schema = SCHEMA.replace(field + ", ", "").replace(", " + field, "");
            assertRefused(() -> parsed(schema).checkUsableFor("daemon", T, Duration.ofHours(36)), "lacks the field " + field);
        }
        assertRefused(() -> parsed(SCHEMA.replace(", IsLatest", "")).checkUsableFor("daemon", T, Duration.ofHours(36)),
                "without IsLatest");
        S3InventoryManifest parquet = new S3InventoryManifest("m", "daemon", T, "Parquet", m.columns(), m.files());
        assertRefused(() -> parquet.checkUsableFor("daemon", T, Duration.ofHours(36)), "only CSV");
    }

    @Test
    void rowsGiveTheObjectsAListGivesSkippingOlderVersionsAndDeleteMarkers() {
        S3InventoryRows rows = parsed(SCHEMA).rows();
        assertEquals(Optional.of(new StoredObject("plugin_packages/a+b c", 12, Instant.parse("2026-12-05T10:00:00Z"),
                "\"0123456789abcdef0123456789abcdef\"")), parse(rows,
                        "\"daemon\",\"plugin_packages/a%2Bb+c\",\"v2\",\"true\","
                                + "\"false\",\"12\",\"2026-12-05T10:00:00.000Z\",\"0123456789abcdef0123456789abcdef\"",
                        "f", 1));
        assertEquals(Optional.of("assets/ä\"x"), parse(rows, "\"daemon\",\"assets%2F%C3%A4%22x\",\"v\",\"true\",\"false\",\"1\","
                + "\"2026-12-05T10:00:00Z\",\"e\"", "f", 2).map(StoredObject::key));
        assertEquals(Optional.empty(), parse(rows, "\"daemon\",\"k\",\"v1\",\"false\",\"false\",\"1\",\"2026-12-05T10:00:00Z\",\"e\"",
                "f", 3));
        assertEquals(Optional.empty(), parse(rows, "\"daemon\",\"k\",\"v0\",\"true\",\"true\",\"\",\"2026-12-05T10:00:00Z\",\"\"",
                "f", 4));
        assertEquals(Optional.of("k"), parse(parsed("Bucket, Key, Size, LastModifiedDate, ETag").rows(),
                "daemon,k,1,2026-12-05T10:00:00Z,\"\"\"e\"\"\"", "f", 5).map(StoredObject::key));
    }

    @Test
    void aRowThatCannotBeReadFailsNamingTheFileAndLine() {
        S3InventoryRows rows = parsed(SCHEMA).rows();
        assertRefused(() -> parse(rows, "\"daemon\",\"k\",\"v\",\"true\"", "data/1.csv.gz", 7),
                "data file data/1.csv.gz line 7 has 4 fields");
        assertRefused(() -> parse(rows, "\"other\",\"k\",\"v\",\"true\",\"false\",\"1\",\"2026-12-05T10:00:00Z\",\"e\"", "f", 1),
                "an object of bucket other");
        assertRefused(() -> parse(rows, "\"daemon\",\"k%G\",\"v\",\"true\",\"false\",\"1\",\"2026-12-05T10:00:00Z\",\"e\"", "f", 1),
                "not URL-encoded");
        assertRefused(() -> parse(rows, "\"daemon\",\"k\",\"v\",\"true\",\"false\",\"x\",\"2026-12-05T10:00:00Z\",\"e\"", "f", 1),
                "no valid Size");
        assertRefused(() -> parse(rows, "\"daemon\",\"k\",\"v\",\"true\",\"false\",\"1\",\"2026-12-05T10:00:00Z\",\"\"", "f", 1),
                "no ETag");
        assertRefused(() -> parse(rows, "\"daemon\",\"k,\"v\",\"true\",\"false\",\"1\",\"2026-12-05T10:00:00Z\",\"e\"", "f", 1),
                "text after a quoted field");
    }

    @Test
    void theLocationNamesTheBucketAndThePrefixAndTheLatestReportIsTheLatestFolder() {
        InventoryLocation l = InventoryLocation.parse("s3://inv/reports/daemon/daily");
        assertEquals(new InventoryLocation("s3", "inv", "reports/daemon/daily/"), l);
        assertEquals(Optional.of("reports/daemon/daily/2026-12-06T01-00Z/"), l.latestReportFolder(List.of(
                "reports/daemon/daily/2026-12-05T01-00Z/", "reports/daemon/daily/2026-12-06T01-00Z/",
                "reports/daemon/daily/data/", "reports/daemon/daily/hive/")));
        assertEquals(Optional.empty(), l.latestReportFolder(List.of("reports/daemon/daily/data/")));
        assertThrows(IllegalArgumentException.class, () -> InventoryLocation.parse("ftp://x/y/"));
        assertThrows(IllegalArgumentException.class, () -> InventoryLocation.parse("s3:///y/"));
    }

    @Test
    void aPrefixIsNotCoveredWhenTheReportLacksItsFirstObjectOlderThanTheReport() {
        StoredObject old = new StoredObject("assets/a", 1, T.minusSeconds(1), "\"e\"");
        StoredObject young = new StoredObject("assets/a", 1, T, "\"e\"");
        assertTrue(InventoryCoverage.problem("m", "assets/", Optional.of(old), Optional.empty(), T).orElseThrow()
                .contains("does not cover assets/"));
        assertEquals(Optional.empty(), InventoryCoverage.problem("m", "assets/", Optional.of(old), Optional.of(old), T));
        assertEquals(Optional.empty(), InventoryCoverage.problem("m", "assets/", Optional.of(young), Optional.empty(), T));
        assertEquals(Optional.empty(), InventoryCoverage.problem("m", "assets/", Optional.empty(), Optional.empty(), T));
        // Held at another ETag or size though unchanged since the report: its rows are not read as the bucket lists them.
        assertTrue(InventoryCoverage.problem("m", "assets/", Optional.of(old), Optional.of(new StoredObject("assets/a", 1,
                T.minusSeconds(1), "e")), T).orElseThrow().contains("lists assets/a as 1 bytes, ETag e, modified"));
        assertTrue(InventoryCoverage.problem("m", "assets/", Optional.of(old), Optional.of(new StoredObject("assets/a", 2,
                T.minusSeconds(1), "\"e\"")), T).isPresent());
        assertEquals(Optional.empty(), InventoryCoverage.problem("m", "assets/", Optional.of(young), Optional.of(new StoredObject(
                "assets/a", 2, T.minusSeconds(1), "\"e\"")), T), "changed after the report: says nothing");
    }

    private static void assertRefused(org.junit.jupiter.api.function.Executable call, String message) {
        StorageException e = assertThrows(StorageException.class, call);
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    /** A data line split as the listing splits it ({@link CsvRecords}), then read by {@code rows}. */
    private static Optional<StoredObject> parse(S3InventoryRows rows, String line, String dataFile, long lineNumber) {
        try {
            return rows.parse(new CsvRecords(new StringReader(line), dataFile).next(), dataFile, lineNumber);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
