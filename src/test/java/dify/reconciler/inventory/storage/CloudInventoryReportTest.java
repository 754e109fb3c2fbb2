package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The pure parts of listing from Azure Blob inventory and GCS Storage Insights reports: CSV, manifests, rows, locations. */
class CloudInventoryReportTest {

    private static final Instant T = Instant.parse("2026-12-06T01:00:00Z");
    private static final Duration DAY = Duration.ofHours(36);

    private static List<List<String>> records(String text) throws IOException {
        CsvRecords csv = new CsvRecords(new StringReader(text), "f");
        List<List<String>> out = new ArrayList<>();
        List<String> r;
        while ((r = csv.next()) != null) {
            out.add(r);
        }
        return out;
    }

    @Test
    void csvRecordsKeepCommasQuotesAndLineBreaksInsideQuotes() throws IOException {
        assertEquals(List.of(List.of("Name", "Size"), List.of("c/a,b", "1"), List.of("c/x\ny\r\nz", "2"), List.of("q\"q", ""),
                List.of("plain", "3"), List.of("c/\uD83D\uDE00", "4")),
                records("Name,Size\r\n\"c/a,b\",1\n\"c/x\ny\r\nz\",\"2\"\n\"q\"\"q\",\nplain,3\n\"c/\uD83D\uDE00\",4"));
        StorageException open = assertThrows(StorageException.class, () -> records("a\n\"b,1\n"));
        assertTrue(open.getMessage().contains("data file f record 2 has an unterminated quoted field"), open.getMessage());
        assertRefused(() -> records("\"a\"b,1\n"), "text after a quoted field");
    }

    private static byte[] azureManifest(String status, String format, String fields, boolean versions) {
        return ("{\"destinationContainer\":\"inv\",\"endpoint\":\"https://acct.blob.core.windows.net\",\"files\":[{\"blob\":"
                + "\"2026/12/06/01-00-00/r/r_1.csv\",\"size\":10}],\"inventoryCompletionTime\":\"2026-12-06T01:10:00Z\","
                + "\"inventoryStartTime\":\"" + T + "\",\"ruleDefinition\":{\"filters\":{\"blobTypes\":[\"blockBlob\"],"
                + "\"includeBlobVersions\":" + versions + ",\"includeSnapshots\":false},\"format\":\"" + format + "\",\"objectType\":"
                + "\"blob\",\"schedule\":\"daily\",\"schemaFields\":[" + fields + "]},\"ruleName\":\"r\",\"status\":\"" + status
                + "\",\"summary\":{\"objectCount\":7,\"totalObjectSize\":70},\"version\":\"1.0\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static AzureInventoryManifest azure(String status, String format, String fields, boolean versions) {
        byte[] m = azureManifest(status, format, fields, versions);
        return AzureInventoryManifest.parse("m", "daemon", m,
                HexFormat.of().formatHex(InventoryListing.md5().digest(m)).getBytes(StandardCharsets.US_ASCII));
    }

    private static final String AZURE_FIELDS = "\"Name\",\"Last-Modified\",\"Content-Length\",\"Etag\"";

    @Test
    void anAzureManifestIsReadWhenItsChecksumMatchesAndJudgedForAScan() {
        AzureInventoryManifest m = azure("Succeeded", "csv", AZURE_FIELDS, false);
        assertEquals(T, m.createdAt());
        assertEquals(List.of(new InventoryReport.DataFile("2026/12/06/01-00-00/r/r_1.csv", 10, null, false)), m.files());
        assertEquals(7, m.rowCount().getAsLong());
        m.checkUsableFor("daemon", T.plus(DAY), DAY);
        byte[] bytes = azureManifest("Succeeded", "csv", AZURE_FIELDS, false);
        assertRefused(() -> AzureInventoryManifest.parse("m", "daemon", bytes, "00".getBytes(StandardCharsets.US_ASCII)),
                "the checksum file says MD5 00");
        assertRefused(() -> azure("Pending", "csv", AZURE_FIELDS, false).checkUsableFor("daemon", T, DAY), "status Pending");
        assertRefused(() -> azure("Succeeded", "parquet", AZURE_FIELDS, false).checkUsableFor("daemon", T, DAY),
                "is parquet: only CSV inventory reports are read");
        assertRefused(() -> azure("Succeeded", "csv", AZURE_FIELDS.replace(",\"Etag\"", ""), false).checkUsableFor("daemon", T, DAY),
                "lacks the field Etag");
        assertRefused(() -> azure("Succeeded", "csv", AZURE_FIELDS, true).checkUsableFor("daemon", T, DAY), "without IsCurrentVersion");
        assertRefused(() -> m.checkUsableFor("daemon", T.plus(DAY).plusSeconds(1), DAY), "older than reconciler.storage.inventory-max-age");
    }

    @Test
    void azureRowsAreTheContainersCurrentBlobsAsAListGivesThem() {
        AzureInventoryRows rows = new AzureInventoryRows("m", "daemon", "f",
                List.of("Name", "Last-Modified", "Content-Length", "Etag", "Snapshot", "IsCurrentVersion"));
        assertEquals(Optional.of(new StoredObject("plugin/a,b\nc", 12, Instant.parse("2026-12-05T10:00:00Z"), "0x8D1")),
                rows.parse(List.of("daemon/plugin/a,b\nc", "2026-12-05T10:00:00.1234567Z", "12", "0x8D1", "", "true"), 2));
        assertEquals(Optional.of(Instant.parse("2026-12-05T10:00:00Z")), rows.parse(List.of("daemon/k",
                "Sat, 05 Dec 2026 10:00:00 GMT", "1", "0x8D2", "", "true"), 3).map(StoredObject::lastModified));
        assertEquals(Optional.empty(), rows.parse(List.of("other/k", "2026-12-05T10:00:00Z", "1", "0x8D1", "", "true"), 4));
        assertEquals(Optional.empty(), rows.parse(List.of("daemon/k", "2026-12-05T10:00:00Z", "1", "0x8D1", "2026-01-01T00:00:00Z",
                "true"), 5));
        assertEquals(Optional.empty(), rows.parse(List.of("daemon/k", "2026-12-05T10:00:00Z", "1", "0x8D1", "", "false"), 6));
        assertRefused(() -> rows.parse(List.of("daemon/k", "x"), 7), "data file f record 7 has 2 fields where the header has 6");
        assertRefused(() -> rows.parse(List.of("daemon/k", "yesterday", "1", "0x8D1", "", "true"), 8), "no valid Last-Modified");
        assertRefused(() -> new AzureInventoryRows("m", "daemon", "f", List.of("Name", "Content-Length")), "has no column Last-Modified");
    }

    private static GcsInventoryManifest gcs(String csvOptions, String fields, String shards, int count) {
        return GcsInventoryManifest.parse("gs://inv/reports/dt=x/c_2026-12-06T01:00_manifest.json", ("{\"report_config\":{"
                + csvOptions + ",\"object_metadata_report_options\":{\"metadata_fields\":[" + fields + "],\"storage_filters\":"
                + "{\"bucket\":\"daemon\"}}},\"records_processed\":5,\"snapshot_time\":\"2026-12-06T01:00:00.000Z\",\"shard_count\":"
                + count + ",\"report_shards_file_names\":[" + shards + "]}").getBytes(StandardCharsets.UTF_8));
    }

    private static final String CSV = "\"csv_options\":{\"record_separator\":\"\\n\",\"delimiter\":\",\",\"header_required\":true}";
    private static final String GCS_FIELDS = "\"bucket\",\"name\",\"size\",\"updated\",\"md5Hash\",\"crc32c\",\"timeDeleted\"";

    @Test
    void aGcsManifestNamesItsShardsInItsFolderAndIsJudgedForAScan() {
        GcsInventoryManifest m = gcs(CSV, GCS_FIELDS, "\"c_2026-12-06T01:00_0.csv\",\"other/path_1.csv\"", 2);
        assertEquals(T, m.createdAt());
        assertEquals(List.of(new InventoryReport.DataFile("reports/dt=x/c_2026-12-06T01:00_0.csv", -1, null, false),
                new InventoryReport.DataFile("other/path_1.csv", -1, null, false)), m.files());
        assertEquals(5, m.rowCount().getAsLong());
        m.checkUsableFor("daemon", T.plus(DAY), DAY);
        assertRefused(() -> gcs(CSV, GCS_FIELDS, "\"a.csv\"", 2), "says shard_count 2 but names 1 shards");
        assertRefused(() -> m.checkUsableFor("other", T, DAY), "describes bucket daemon, not the daemon's bucket other");
        assertRefused(() -> gcs("\"parquet_options\":{}", GCS_FIELDS, "\"a.parquet\"", 1).checkUsableFor("daemon", T, DAY),
                "is Parquet: only CSV");
        assertRefused(
                () -> gcs(CSV.replace("\"delimiter\":\",\"", "\"delimiter\":\";\""), GCS_FIELDS, "\"a.csv\"", 1).checkUsableFor("daemon", T,
                        DAY),
                "separates fields with ';'");
        assertRefused(() -> gcs(CSV, GCS_FIELDS.replace(",\"md5Hash\"", ""), "\"a.csv\"", 1).checkUsableFor("daemon", T, DAY),
                "lacks the field md5Hash");
    }

    @Test
    void gcsRowsCarryTheContentTagAListGivesAndLeaveNoncurrentVersionsOut() {
        GcsInventoryRows rows = new GcsInventoryRows("m", "daemon", "f",
                List.of("bucket", "name", "size", "updated", "md5Hash", "crc32c", "timeDeleted"));
        assertEquals(
                Optional.of(
                        new StoredObject("assets/a,\"b\"", 3, Instant.parse("2026-12-05T10:00:00.123Z"), "md5:XrY7u+Ae7tCTyyK7j1rNww==")),
                rows.parse(List.of("daemon", "assets/a,\"b\"", "3", "2026-12-05T10:00:00.123Z", "XrY7u+Ae7tCTyyK7j1rNww==", "x", ""), 2));
        assertEquals(Optional.of("crc32c:yZRlqg=="), rows.parse(List.of("daemon", "composite", "3", "2026-12-05T10:00:00Z", "",
                "yZRlqg==", ""), 3).map(StoredObject::etag));
        assertEquals(Optional.empty(), rows.parse(List.of("daemon", "k", "3", "2026-12-05T10:00:00Z", "e", "", "2026-12-05T11:00:00Z"), 4));
        assertRefused(() -> rows.parse(List.of("other", "k", "3", "2026-12-05T10:00:00Z", "e", "", ""), 5),
                "record 5 has an object of bucket other, not daemon");
        assertRefused(() -> rows.parse(List.of("daemon", "k", "3", "2026-12-05T10:00:00Z", "", "", ""), 6), "neither md5Hash nor crc32c");
    }

    @Test
    void aGcsShardNamedAsAUriIsReadFromTheReportsBucketOnly() {
        assertEquals(List.of(new InventoryReport.DataFile("reports/dt=x/c_2026-12-06T01:00_0.csv", -1, null, false)),
                gcs(CSV, GCS_FIELDS, "\"gs://inv/reports/dt=x/c_2026-12-06T01:00_0.csv\"", 1).files());
        assertRefused(() -> gcs(CSV, GCS_FIELDS, "\"gs://elsewhere/c_0.csv\"", 1), "names a shard gs://elsewhere/c_0.csv outside");
    }

    @Test
    void theLatestGcsManifestIsChosenByTheSnapshotTimeInItsName() {
        // Two configurations under one path (the default destination path puts the config id first): the newest report,
        // not the greatest name.
        String older = "reports/ZZZ/dt=2026-12-06T01:00/ZZZ_2026-12-06T01:00_manifest.json";
        String newer = "reports/AAA/dt=2026-12-07T01:00/AAA_2026-12-07T01:00_manifest.json";
        assertEquals(Optional.of(newer), GcsInventoryManifest.latestManifest(
                java.util.stream.Stream.of(older, newer, "reports/AAA/dt=2026-12-07T01:00/AAA_2026-12-07T01:00_0.csv", "x_manifest.json")));
        assertEquals(Optional.empty(), GcsInventoryManifest.latestManifest(java.util.stream.Stream.of("a_0.csv")));
    }

    @Test
    void locationsNameTheProvidersForm() {
        assertEquals(new InventoryLocation("azure", "inventory", "daemon-rule"), InventoryLocation.parse("azure://inventory/daemon-rule/"));
        assertEquals(new InventoryLocation("gs", "inv", "reports/1A34/"), InventoryLocation.parse("gs://inv/reports/1A34"));
        assertThrows(IllegalArgumentException.class, () -> InventoryLocation.parse("azure://inventory/"));
        assertThrows(IllegalArgumentException.class, () -> InventoryLocation.parse("azure://inventory/a/b"));
        assertThrows(IllegalArgumentException.class, () -> InventoryLocation.parse("gs:///x"));
    }

    private static void assertRefused(Executable call, String message) {
        StorageException e = assertThrows(StorageException.class, call);
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
