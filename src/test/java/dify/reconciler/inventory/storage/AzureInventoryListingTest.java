package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import dify.reconciler.testsupport.AzureInventoryReportWriter;
import dify.reconciler.testsupport.AzuriteServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
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
    private static final String RULE = AzureInventoryReportWriter.RULE;

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
        List<String> all = new ArrayList<>(AzureInventoryReportWriter.FIELDS);
        all.remove(without);
        return all;
    }

    @Override
    String shortFileMessage() {
        return "bytes, the manifest says";
    }

    @Override
    List<String> write(Report report) {
        AzureInventoryReportWriter writer = new AzureInventoryReportWriter(source, bucket(), reportContainer.getBlobContainerName(),
                this::putReport).takenAt(report.takenAt).only(report.keep).format(report.format);
        if (report.fields != null) {
            writer.fields(report.fields);
        }
        if (report.duplicate) {
            writer.duplicated();
        }
        return writer.write();
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
    void aReportWhoseEtagsAreWrittenOtherwiseThanTheListingFailsInsteadOfHidingCandidates() {
        // Were Azure to write Etag quoted (unverified: no document shows a CSV value), every row would differ from the
        // bucket, and every candidate would be confirmed away as changed: the coverage check's first object says so.
        new AzureInventoryReportWriter(source, bucket(), reportContainer.getBlobContainerName(), this::putReport)
                .etags(e -> "\"" + e + "\"").write();
        StorageException e = assertThrows(StorageException.class, () -> open(Instant.now()).close());
        assertTrue(e.getMessage().contains("the report's rows are not read as the bucket lists them"), e.getMessage());
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
