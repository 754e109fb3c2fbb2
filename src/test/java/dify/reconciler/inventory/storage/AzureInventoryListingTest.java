package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import dify.reconciler.testsupport.AzuriteServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Azure Blob inventory reports on Azurite: {@code YYYY/MM/DD/HH-MM-SS/<rule>/<rule>-manifest.json} with its checksum,
 * CSV files with a header row, {@code Name} as {@code <container>/<blob>}, rows of another container and a snapshot
 * beside the daemon's blobs.
 */
class AzureInventoryListingTest extends CloudInventoryListingContract {

    private static final AzuriteServer AZURITE = AzuriteServer.shared();
    private static final AtomicInteger CONTAINERS = new AtomicInteger();
    private static final S3Timeouts TIMEOUTS = new S3Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(20));
    private static final DateTimeFormatter RUN = DateTimeFormatter.ofPattern("yyyy/MM/dd/HH-mm-ss").withZone(ZoneOffset.UTC);
    private static final String RULE = "daemon-rule";

    private BlobContainerClient sourceContainer;
    private BlobContainerClient reportContainer;
    private AzureBlobObjectStorage source;

    @BeforeEach
    void containers() {
        int n = CONTAINERS.incrementAndGet();
        sourceContainer = AZURITE.createContainer("inv-src-" + n + "-" + System.nanoTime());
        reportContainer = AZURITE.createContainer("inv-dst-" + n + "-" + System.nanoTime());
        source = open(sourceContainer.getBlobContainerName());
        seed();
    }

    @AfterEach
    void close() {
        source.close();
        sourceContainer.delete();
        reportContainer.delete();
    }

    private static AzureBlobObjectStorage open(String container) {
        AzureBlobSettings settings = AzureBlobSettings.from(new StorageVariables(name -> Optional.ofNullable(Map.of(
                AzureBlobSettings.CONNECTION_STRING, AZURITE.connectionString(), AzureBlobSettings.CONTAINER, container).get(name))));
        return AzureBlobObjectStorage.create(settings, TIMEOUTS, StorageRequestListener.NO_OP, null);
    }

    @Override
    ObjectStorage source() {
        return source;
    }

    @Override
    ObjectStorage reports() {
        return open(reportContainer.getBlobContainerName());
    }

    @Override
    void putSource(String key, byte[] bytes) {
        sourceContainer.getBlobClient(key).upload(BinaryData.fromBytes(bytes), true);
    }

    @Override
    void putReport(String key, byte[] bytes) {
        reportContainer.getBlobClient(key).upload(BinaryData.fromBytes(bytes), true);
    }

    @Override
    void deleteReport(String key) {
        reportContainer.getBlobClient(key).delete();
    }

    @Override
    byte[] getReport(String key) {
        return reportContainer.getBlobClient(key).downloadContent().toBytes();
    }

    @Override
    InventoryListing.Format format() {
        return AzureInventoryManifest.latest(InventoryLocation.parse("azure://" + reportContainer.getBlobContainerName() + "/"
                + RULE), bucket());
    }

    @Override
    String bucket() {
        return sourceContainer.getBlobContainerName();
    }

    @Override
    List<String> fields(String without) {
        List<String> all = new ArrayList<>(List.of("Name", "Creation-Time", "Last-Modified", "Content-Length", "BlobType",
                "Snapshot", "Etag"));
        all.remove(without);
        return all;
    }

    @Override
    String shortFileMessage() {
        return "bytes, the manifest says";
    }

    @Override
    List<String> write(Report report) {
        List<String> fields = report.fields != null ? report.fields : fields(null);
        String container = bucket();
        List<String> rows = new ArrayList<>();
        List<StoredObject> objects;
        try (var all = source.list("")) {
            objects = all.toList();
        }
        for (StoredObject o : objects) {
            if (!report.keep.test(o.key())) {
                continue;
            }
            rows.add(row(fields, container + "/" + o.key(), o, ""));
            if (report.duplicate) {
                rows.add(row(fields, container + "/" + o.key(), o, ""));
            }
            // A snapshot and a blob of another container: rows a reader must leave out.
            rows.add(row(fields, container + "/" + o.key(), new StoredObject(o.key(), o.size() + 1, o.lastModified(), "0x8D1"),
                    "2026-01-01T00:00:00.0000000Z"));
            rows.add(row(fields, "other-container/" + o.key(), o, ""));
        }
        String folder = RUN.format(report.takenAt) + "/" + RULE + "/";
        List<String> keys = new ArrayList<>();
        StringBuilder files = new StringBuilder();
        List<List<String>> parts = split(rows, 2);
        for (int f = 0; f < parts.size(); f++) {
            byte[] bytes = (csv(fields) + String.join("", parts.get(f))).getBytes(StandardCharsets.UTF_8);
            String key = folder + RULE + "_" + f + ".csv";
            putReport(key, bytes);
            keys.add(key);
            files.append(f == 0 ? "" : ",").append("{\"blob\":\"").append(key).append("\",\"size\":").append(bytes.length).append('}');
        }
        String manifest = "{\"destinationContainer\":\"" + reportContainer.getBlobContainerName()
                + "\",\"endpoint\":\"http://127.0.0.1\",\"files\":[" + files + "],\"inventoryCompletionTime\":\""
                + report.takenAt.plusSeconds(60) + "\",\"inventoryStartTime\":\"" + report.takenAt + "\",\"ruleDefinition\":{"
                + "\"filters\":{\"blobTypes\":[\"blockBlob\"],\"includeBlobVersions\":false,\"includeSnapshots\":true},"
                + "\"format\":\"" + report.format + "\",\"objectType\":\"blob\",\"schedule\":\"daily\",\"schemaFields\":["
                + fields.stream().map(f -> "\"" + f + "\"").collect(Collectors.joining(",")) + "]},\"ruleName\":\"" + RULE
                + "\",\"status\":\"Succeeded\",\"summary\":{\"objectCount\":" + rows.size()
                + ",\"totalObjectSize\":1},\"version\":\"1.0\"}";
        byte[] bytes = manifest.getBytes(StandardCharsets.UTF_8);
        putReport(folder + RULE + "-manifest.json", bytes);
        putReport(folder + RULE + "-manifest.checksum",
                HexFormat.of().formatHex(InventoryListing.md5().digest(bytes)).getBytes(StandardCharsets.US_ASCII));
        return keys;
    }

    private static String row(List<String> fields, String name, StoredObject o, String snapshot) {
        List<String> values = new ArrayList<>();
        for (String f : fields) {
            values.add(switch (f) {
                case "Name" -> name;
                case "Creation-Time", "Last-Modified" ->
                    DateTimeFormatter.RFC_1123_DATE_TIME.format(o.lastModified().atOffset(ZoneOffset.UTC));
                case "Content-Length" -> Long.toString(o.size());
                case "Etag" -> o.etag();
                case "Snapshot" -> snapshot;
                default -> "BlockBlob";
            });
        }
        return csv(values);
    }

    @Test
    void identicalDuplicateRowsCountOnceAsAzureDocumentsThem() {
        Report r = new Report();
        r.duplicate = true;
        write(r);
        try (InventoryListing listing = open(Instant.now())) {
            assertEquals(listed(source.list("plugin_packages/")), listed(listing.list("plugin_packages/")));
        }
    }

    @Test
    void anUnfinishedRunIsNotRead() {
        // Only the checksum file marks a finished run: without one there is no report to read.
        List<String> files = write(new Report());
        String folder = files.get(0).substring(0, files.get(0).lastIndexOf('/') + 1);
        deleteReport(folder + RULE + "-manifest.checksum");
        StorageException e = assertThrows(StorageException.class, () -> open(Instant.now()).close());
        assertTrue(e.getMessage().contains("no finished inventory report of rule " + RULE), e.getMessage());
    }
}
