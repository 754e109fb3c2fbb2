package dify.reconciler.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.StorageProducer;
import dify.reconciler.detect.FindingSink;
import dify.reconciler.detect.GraceWindow;
import dify.reconciler.inventory.postgres.DaemonDatabaseReader;
import dify.reconciler.inventory.storage.InventoryListing;
import dify.reconciler.inventory.storage.InventoryLocation;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.S3InventoryManifest;
import dify.reconciler.inventory.storage.S3ObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.report.ScanPhase;
import dify.reconciler.run.DriftFixture.Store;
import dify.reconciler.testsupport.AzureInventoryReportWriter;
import dify.reconciler.testsupport.AzuriteServer;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.ForwardingStorage;
import dify.reconciler.testsupport.GcsInventoryReportWriter;
import dify.reconciler.testsupport.GcsTestServer;
import dify.reconciler.testsupport.S3InventoryReportWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.StoresUnderTest;
import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.supplier.AgroalDataSourceConfigurationSupplier;
import io.agroal.api.security.NamePrincipal;
import io.agroal.api.security.SimplePassword;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * {@code reconciler.storage.listing=inventory} on S3Proxy: a real-shaped S3 Inventory report (CSV, gzip'd data files in
 * another bucket, rows shuffled, URL-encoded keys, versions and delete markers) of a bucket holding the daemon's folders,
 * a placeholder, look-alike characters and keys with '+' and spaces, beside a real PostgreSQL with the daemon's rows.
 * A scan from the report finds what a LIST scan finds; every broken report fails the scan in phase storage; a candidate
 * the report is wrong about is confirmed away with a HEAD.
 */
class InventoryListingScanTest {

    private static final S3ProxyServer S3 = S3ProxyServer.shared();
    private static final List<String> PREFIXES = List.of("persistence/", "plugin/", "plugin_packages/", "assets/", "plugin\\");
    /** Keys beside the dataset: a placeholder, look-alikes, '+' and ' ' (the report writes them as %2B and +), outside keys. */
    private static final List<String> EXTRA = List.of("plugin/", "plugin/langgenius/x:1.0.0@" + "a".repeat(64) + " copy",
            "plugin/ｌanggenius/fullwidth:1@" + "b".repeat(64), "plugin_packages/a+b c%2B", "plugin_packages/a b+c",
            "assets/ä+.png", "assets/%41", "persistence/tenant+x/k v", "pluginx/outside", "plugin_packagesx/outside");

    /** Names Azure and GCS write as they are, so CSV quotes them: a comma, a quote, a line break. */
    private static final List<String> CSV_QUOTED = List.of("plugin_packages/with,comma", "assets/with\"quote.png",
            "persistence/tenant-x/line\nbreak");

    private static DriftFixture fixture;
    private static String bucket;
    private static String deletedPackage;

    @BeforeAll
    static void seed() {
        fixture = new DriftFixture(Store.S3, SchemaFixture.CURRENT);
        bucket = fixture.store.daemonEnvironment().get("PLUGIN_STORAGE_OSS_BUCKET");
        for (String key : EXTRA) {
            fixture.put(key, key.getBytes(StandardCharsets.UTF_8));
        }
        // Drift both scans must find: a package gone (package_missing) and an orphaned copy under plugin/.
        deletedPackage = "plugin_packages/" + fixture.dataset.localPlugin(1).uid();
        fixture.delete(deletedPackage);
        fixture.put("plugin/langgenius/orphan:0.0.1@" + "c".repeat(64), new byte[] {1, 2, 3});
    }

    @AfterAll
    static void close() {
        fixture.close();
    }

    @Test
    void aScanFromTheReportFindsExactlyWhatAListScanFinds() {
        S3InventoryReportWriter report = report();
        report.write();
        try (InventoryListing listing = open(report, Instant.now())) {
            for (String prefix : PREFIXES) {
                assertEquals(listed(fixture.storage.list(prefix)), listed(listing.list(prefix)), "the listing of " + prefix);
            }
        }
        Outcome fromList = scan(null, 10_000);
        Outcome fromReport = scan(report, 10_000);
        assertEquals(null, fromReport.failure, () -> "failed: " + fromReport.failure);
        assertEquals(subjects(fromList.sink), subjects(fromReport.sink));
        assertEquals(DriftFixture.counts(fromList.sink), DriftFixture.counts(fromReport.sink));
        assertEquals(fromList.objectsListed, fromReport.objectsListed);
        assertTrue(subjects(fromReport.sink).contains("package_missing " + deletedPackage), subjects(fromReport.sink)::toString);
        assertTrue(fromReport.sink.notes().stream().anyMatch(n -> n.contains("objects listed from inventory report")),
                fromReport.sink.notes()::toString);
    }

    /**
     * The same comparison on Azure Blob inventory (Azurite) and GCS Storage Insights (the GCS test server): the daemon's
     * layout with the same planted drift and names that need CSV quoting, a report written as the provider writes one
     * (testsupport's writers: Azure's {@code <container>/<blob>} names, snapshot and other-container rows; GCS's shards
     * and noncurrent versions), read through the product's own wiring ({@code StorageProducer}: the report bucket with the
     * daemon's credentials, the provider's format by the location's scheme).
     */
    @ParameterizedTest
    @ValueSource(strings = {"azure_blob", "gcs"})
    void aScanFromAnAzureOrGcsReportFindsExactlyWhatAListScanFinds(String backend) {
        try (DriftFixture cloud = new DriftFixture(StoresUnderTest.named(backend), SchemaFixture.CURRENT)) {
            for (String key : EXTRA) {
                cloud.put(key, key.getBytes(StandardCharsets.UTF_8));
            }
            for (String key : CSV_QUOTED) {
                cloud.put(key, key.getBytes(StandardCharsets.UTF_8));
            }
            String deleted = "plugin_packages/" + cloud.dataset.localPlugin(1).uid();
            cloud.delete(deleted);
            cloud.put("plugin/langgenius/orphan:0.0.1@" + "c".repeat(64), new byte[] {1, 2, 3});

            Map<String, String> env = new HashMap<>(cloud.store.daemonEnvironment());
            env.put("DB_HOST", "unused.invalid");
            env.put("DB_USERNAME", "unused");
            DaemonSettings daemon = DaemonSettings.from(n -> Optional.ofNullable(env.get(n)));
            String bucket = StorageProducer.inventoryBucket(daemon);
            String reportBucket = "inventory-" + UUID.randomUUID().toString().substring(0, 8);
            Runnable dropReportBucket;
            String location;
            String bucketVariable;
            if (backend.equals("azure_blob")) {
                BlobContainerClient reports = AzuriteServer.shared().createContainer(reportBucket);
                dropReportBucket = reports::delete;
                AzureInventoryReportWriter writer = new AzureInventoryReportWriter(cloud.storage, bucket, reportBucket,
                        (k, b) -> reports.getBlobClient(k).upload(BinaryData.fromBytes(b), true));
                writer.write();
                location = writer.location();
                bucketVariable = "AZURE_BLOB_STORAGE_CONTAINER_NAME";
            } else {
                GcsTestServer gcs = GcsTestServer.shared();
                gcs.createBucket(reportBucket);
                dropReportBucket = () -> gcs.deleteBucket(reportBucket);
                GcsInventoryReportWriter writer = new GcsInventoryReportWriter(cloud.storage, bucket, reportBucket,
                        (k, b) -> gcs.put(reportBucket, k, b));
                writer.write();
                location = writer.location();
                bucketVariable = "PLUGIN_STORAGE_OSS_BUCKET";
            }
            try {
                InventoryLocation at = InventoryLocation.parse(location);
                Map<String, String> reportEnv = new HashMap<>(cloud.store.daemonEnvironment());
                reportEnv.put(bucketVariable, at.bucket());
                Scan.InventoryReport inventory = prefixes -> InventoryListing.open(cloud.storage, bucket,
                        StoresUnderTest.productStorage(reportEnv), StorageProducer.inventoryFormat(at, bucket), prefixes,
                        cloud.db.dataSource(), Instant.now(), Duration.ofHours(36));
                try (InventoryListing listing = inventory.open(PREFIXES)) {
                    for (String prefix : PREFIXES) {
                        assertEquals(listed(cloud.storage.list(prefix)), listed(listing.list(prefix)), "the listing of " + prefix);
                    }
                }
                Outcome fromList = scan(cloud, null, 10_000, false);
                Outcome fromReport = scan(cloud, inventory, 10_000, false);
                assertEquals(null, fromReport.failure, () -> "failed: " + fromReport.failure);
                assertEquals(subjects(fromList.sink), subjects(fromReport.sink));
                assertEquals(DriftFixture.counts(fromList.sink), DriftFixture.counts(fromReport.sink));
                assertEquals(fromList.objectsListed, fromReport.objectsListed);
                assertTrue(subjects(fromReport.sink).contains("package_missing " + deleted), subjects(fromReport.sink)::toString);
                String orphan = " plugin/langgenius/orphan:0.0.1@" + "c".repeat(64);
                assertTrue(subjects(fromReport.sink).stream().anyMatch(f -> f.endsWith(orphan)), subjects(fromReport.sink)::toString);
                assertTrue(fromReport.sink.notes().stream().anyMatch(n -> n.contains("objects listed from inventory report")),
                        fromReport.sink.notes()::toString);
            } finally {
                dropReportBucket.run();
            }
        }
    }

    @Test
    void aStaleReportFailsTheScan() {
        S3InventoryReportWriter report = report().takenAt(Instant.now().minus(Duration.ofHours(37)));
        report.write();
        assertFails(report, "older than reconciler.storage.inventory-max-age (PT36H)");
    }

    @Test
    void aMissingDataFileFailsTheScan() {
        S3InventoryReportWriter report = report();
        String file = report.write().dataFiles().get(1);
        S3.client().deleteObject(b -> b.bucket(destination(report)).key(file));
        assertFails(report, "data file s3://…/" + file + " cannot be read");
    }

    @Test
    void aShortDataFileFailsTheScan() {
        S3InventoryReportWriter report = report();
        String file = report.write().dataFiles().get(0);
        byte[] whole = S3.client().getObjectAsBytes(b -> b.bucket(destination(report)).key(file)).asByteArray();
        S3.client().putObject(b -> b.bucket(destination(report)).key(file),
                RequestBody.fromBytes(Arrays.copyOf(whole, whole.length / 2)));
        assertFails(report, "data file s3://…/" + file + " cannot be read (" + whole.length / 2 + " of " + whole.length + " bytes read)");
    }

    @Test
    void aCorruptDataFileFailsTheScan() {
        S3InventoryReportWriter report = report();
        String file = report.write().dataFiles().get(2);
        byte[] bytes = S3.client().getObjectAsBytes(b -> b.bucket(destination(report)).key(file)).asByteArray();
        // One flipped bit in the compressed rows (before the 8-byte gzip trailer), the size unchanged.
        bytes[bytes.length - 9] ^= 1;
        S3.client().putObject(b -> b.bucket(destination(report)).key(file), RequestBody.fromBytes(bytes));
        assertFails(report, "data file s3://…/" + file);
    }

    @Test
    void aDataFileWhoseChecksumDiffersFromTheManifestFailsTheScan() {
        S3InventoryReportWriter report = report().editManifest(m -> m.replaceFirst("\"MD5checksum\":\"[0-9a-f]{32}\"",
                "\"MD5checksum\":\"00000000000000000000000000000000\""), true);
        List<String> files = report.write().dataFiles();
        assertFails(report, "data file s3://…/" + files.get(0) + " has MD5 ");
    }

    @Test
    void aManifestThatDiffersFromItsChecksumFailsTheScan() {
        S3InventoryReportWriter report = report().editManifest(m -> m.replace("\"version\":\"2016-11-30\"", "\"version\":\"x\""),
                false);
        report.write();
        assertFails(report, "manifest.checksum says MD5");
    }

    @Test
    void aReportLackingARequiredFieldFailsTheScan() {
        S3InventoryReportWriter report = report().schema("Bucket, Key, Size, LastModifiedDate, StorageClass");
        report.write();
        assertFails(report, "lacks the field ETag");
    }

    @Test
    void aReportNotCoveringADaemonPrefixFailsTheScan() {
        S3InventoryReportWriter report = report().only(k -> !k.startsWith("assets/"));
        report.write();
        assertFails(report, "does not cover assets/");
    }

    @Test
    void candidatesTheReportIsWrongAboutAreConfirmedAwayWithAHead() {
        // The report lacks a package that exists (not the first of its folder, which the coverage check looks up) and
        // holds an orphan deleted since: neither is reported; the LIST scan agrees.
        String present = "plugin_packages/" + fixture.dataset.localPlugin(3).uid();
        String gone = "plugin/langgenius/gone:0.0.1@" + "d".repeat(64);
        fixture.put(gone, new byte[] {4});
        S3InventoryReportWriter report = report().only(k -> !k.equals(present));
        report.write();
        fixture.delete(gone);
        Outcome fromReport = scan(report, 10_000);
        assertEquals(null, fromReport.failure, () -> "failed: " + fromReport.failure);
        assertEquals(subjects(scan(null, 10_000).sink), subjects(fromReport.sink));
        assertFalse(subjects(fromReport.sink).contains("package_missing " + present));
        assertTrue(fromReport.sink.notes().stream().anyMatch(n -> n.contains("2 of them not reported")),
                fromReport.sink.notes()::toString);

        // Without HEADs to spare, the candidates are not reported and their kinds are checks that did not run (in part).
        Outcome unconfirmed = scan(report, 0);
        assertFalse(subjects(unconfirmed.sink).contains("package_missing " + present));
        assertTrue(unconfirmed.sink.checksNotRun().containsKey(FindingKind.PACKAGE_MISSING), unconfirmed.sink.checksNotRun()::toString);
    }

    @Test
    void aPackageDeletedAfterTheReportIsNotThereForDeepVerify() throws java.io.IOException {
        // The report lists the package; it is deleted before the scan reads it. A listing older than the bucket is
        // what a report is: the object is gone (a HEAD says so), not a failed read, and the scan goes on.
        String deletedSince = "plugin_packages/" + fixture.dataset.localPlugin(2).uid();
        byte[] bytes;
        try (java.io.InputStream in = fixture.storage.open(deletedSince)) {
            bytes = in.readAllBytes();
        }
        S3InventoryReportWriter report = report();
        report.write();
        fixture.delete(deletedSince);
        try {
            Outcome deep = scan(report, 10_000, true);
            assertEquals(null, deep.failure, () -> "failed: " + deep.failure);
            assertFalse(subjects(deep.sink).stream().anyMatch(s -> s.startsWith("checksum_mismatch")), subjects(deep.sink)::toString);
            assertTrue(deep.sink.notes().stream().anyMatch(n -> n.contains(deletedSince) && n.contains("gone since it was listed")),
                    deep.sink.notes()::toString);
            assertEquals(0, deep.sink.packagesUnverified());
        } finally {
            fixture.put(deletedSince, bytes);
        }
    }

    @Test
    void aSlowReportDownloadHoldsNeitherATransactionNorAPoolConnection() throws Exception {
        // The second data file's download stalls; meanwhile the service's pool (one connection at most here) must still
        // hand out its connection, and the listing's own session must be idle: no COPY or transaction left open (before:
        // a pool connection for the whole storage phase, and one COPY, a transaction, spanning each data file's download).
        S3InventoryReportWriter report = report();
        List<String> files = report.write().dataFiles();
        InventoryLocation location = InventoryLocation.parse(report.location());
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        ObjectStorage reportBucket = S3ObjectStorage.create(S3.settings(location.bucket()));
        ObjectStorage reports = new ForwardingStorage(reportBucket) {
            @Override
            public InputStream open(String key) {
                InputStream in = super.open(key);
                return !key.equals(files.get(1)) ? in : new FilterInputStream(in) {
                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        stalled.countDown();
                        try {
                            resume.await(60, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return super.read(b, off, len);
                    }
                };
            }

            @Override
            public void close() {
                reportBucket.close();
            }
        };
        String application = "inventory-session-" + UUID.randomUUID().toString().substring(0, 8);
        ExecutorService opener = Executors.newSingleThreadExecutor();
        try (AgroalDataSource pool = AgroalDataSource.from(new AgroalDataSourceConfigurationSupplier()
                .connectionPoolConfiguration(cp -> cp.maxSize(1).acquisitionTimeout(Duration.ofSeconds(3))
                        .connectionFactoryConfiguration(cf -> cf.jdbcUrl(fixture.db.jdbcUrl())
                                .principal(new NamePrincipal(EmbeddedPostgres.DAEMON_USER))
                                .credential(new SimplePassword(EmbeddedPostgres.DAEMON_PASSWORD)))))) {
            ScanRunner runner = new ScanRunner();
            runner.dataSource = pool;
            runner.daemon = dify.reconciler.config.DaemonSettings.from(n -> Optional.ofNullable(Map.of("DB_HOST", "localhost",
                    "DB_USERNAME", EmbeddedPostgres.DAEMON_USER, "PLUGIN_STORAGE_TYPE", "local").get(n)));
            runner.settings = new SmallRyeConfigBuilder().withDefaultValues(Map.of("quarkus.datasource.jdbc.url",
                    fixture.db.jdbcUrl() + "?ApplicationName=" + application, "quarkus.datasource.username",
                    EmbeddedPostgres.DAEMON_USER, "quarkus.datasource.password", EmbeddedPostgres.DAEMON_PASSWORD)).build();
            Future<InventoryListing> opening = opener.submit(() -> InventoryListing.open(fixture.storage, bucket, reports,
                    S3InventoryManifest.latest(location), PREFIXES, runner.inventorySession(), Instant.now(), Duration.ofHours(36)));
            try {
                assertTrue(stalled.await(60, TimeUnit.SECONDS), "the second data file was never read");
                try (Connection c = pool.getConnection();
                        PreparedStatement ps = c.prepareStatement(
                                "SELECT state, xact_start IS NULL, backend_xmin IS NULL FROM pg_stat_activity WHERE application_name = ?")) {
                    ps.setString(1, application);
                    try (ResultSet rs = ps.executeQuery()) {
                        assertTrue(rs.next(), "the listing's session is not connected");
                        assertEquals("idle", rs.getString(1), "the listing's session while the report downloads");
                        assertTrue(rs.getBoolean(2) && rs.getBoolean(3), "a transaction or snapshot is open during the download");
                        assertFalse(rs.next(), "more than one session");
                    }
                }
            } finally {
                resume.countDown();
            }
            try (InventoryListing listing = opening.get(60, TimeUnit.SECONDS)) {
                assertEquals(listed(fixture.storage.list("plugin_packages/")), listed(listing.list("plugin_packages/")));
            }
        } finally {
            opener.shutdownNow();
        }
    }

    private static void assertFails(S3InventoryReportWriter report, String message) {
        Outcome outcome = scan(report, 10_000);
        assertNotNull(outcome.failure, "the scan did not fail");
        assertEquals(ScanPhase.STORAGE, outcome.phase);
        assertTrue(outcome.failure.getMessage().contains(message), outcome.failure.getMessage());
    }

    private static S3InventoryReportWriter report() {
        String destination = S3.createBucket("inventory-" + UUID.randomUUID().toString().substring(0, 8));
        return new S3InventoryReportWriter(S3.client(), bucket, destination, "reports/");
    }

    private static String destination(S3InventoryReportWriter report) {
        return InventoryLocation.parse(report.location()).bucket();
    }

    private static InventoryListing open(S3InventoryReportWriter report, Instant now) {
        return open(report, now, PREFIXES);
    }

    private static InventoryListing open(S3InventoryReportWriter report, Instant now, List<String> prefixes) {
        InventoryLocation location = InventoryLocation.parse(report.location());
        return InventoryListing.open(fixture.storage, bucket, S3ObjectStorage.create(S3.settings(location.bucket())),
                S3InventoryManifest.latest(location),
                prefixes, fixture.db.dataSource(), now, Duration.ofHours(36));
    }

    private record Outcome(FindingSink sink, RuntimeException failure, ScanPhase phase, Map<String, Long> objectsListed) {
    }

    /** A scan with everything counted as old; {@code report} null: LIST calls. */
    private static Outcome scan(S3InventoryReportWriter report, int confirmMax) {
        return scan(report, confirmMax, false);
    }

    private static Outcome scan(S3InventoryReportWriter report, int confirmMax, boolean deepVerify) {
        return scan(fixture, report == null ? null : prefixes -> open(report, Instant.now(), prefixes), confirmMax, deepVerify);
    }

    /** A scan of {@code f} with everything counted as old; {@code inventory} null: LIST calls. */
    private static Outcome scan(DriftFixture f, Scan.InventoryReport inventory, int confirmMax, boolean deepVerify) {
        FindingSink sink = new FindingSink(1000);
        try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(f.db.readerDataSource(), "public", 100, f.db.toString())) {
            Scan scan = new Scan(reader, f.storage, f.layout, new GraceWindow(Instant.now().plus(Duration.ofHours(1))),
                    Instant.now().minus(Duration.ofHours(1)), deepVerify, sink);
            if (inventory != null) {
                scan.withInventoryListing(inventory, confirmMax);
            }
            try {
                scan.run();
            } catch (RuntimeException e) {
                return new Outcome(sink, e, scan.phase(), scan.objectsListed());
            }
            return new Outcome(sink, null, null, scan.objectsListed());
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    private static List<StoredObject> listed(Stream<StoredObject> listing) {
        try (listing) {
            return listing.collect(Collectors.toCollection(ArrayList::new));
        }
    }

    private static Set<String> subjects(FindingSink sink) {
        return sink.findings().stream().map(InventoryListingScanTest::subject).collect(Collectors.toCollection(TreeSet::new));
    }

    private static String subject(Finding f) {
        return f.kind().label() + " " + (f.key() != null ? f.key() : f.table() + "/" + f.id());
    }
}
