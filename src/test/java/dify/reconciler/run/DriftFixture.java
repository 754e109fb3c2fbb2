package dify.reconciler.run;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.detect.FindingSink;
import dify.reconciler.detect.GraceWindow;
import dify.reconciler.inventory.postgres.DaemonDatabaseReader;
import dify.reconciler.inventory.storage.LocalObjectStorage;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.S3ObjectStorage;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.ObjectWriter;
import dify.reconciler.testsupport.S3ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A real PostgreSQL database with the daemon's schema and a real store (S3Proxy bucket or local folder),
 * seeded with a consistent {@link DifyDataset}; tests break one thing and scan.
 */
final class DriftFixture implements AutoCloseable {

    enum Store {
        S3,
        LOCAL
    }

    /** Rows and objects of the seeded dataset are this old. */
    static final Instant SEEDED_AT = Instant.now().minus(Duration.ofDays(2));

    final Store store;
    final TestDatabase db;
    final DaemonRows rows;
    final ObjectWriter objects;
    final ObjectStorage storage;
    final StorageLayout layout = StorageLayout.DEFAULT;
    final DifyDataset dataset;
    private final Path localRoot;
    final String bucket;

    DriftFixture(Store store, SchemaFixture schema) {
        this.store = store;
        this.db = EmbeddedPostgres.shared().createDatabase();
        schema.applyTo(db);
        this.rows = DaemonRows.on(db);
        if (store == Store.LOCAL) {
            try {
                localRoot = Files.createTempDirectory("plugin-storage");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            bucket = null;
            objects = new LocalObjectWriter(localRoot);
            storage = new LocalObjectStorage(localRoot);
        } else {
            localRoot = null;
            S3ProxyServer s3 = S3ProxyServer.shared();
            bucket = s3.createBucket("drift-" + UUID.randomUUID().toString().substring(0, 8));
            objects = new S3ObjectWriter(s3.client(), bucket);
            storage = new S3ObjectStorage(s3.client(), bucket);
        }
        List<String> categories = schema == SchemaFixture.CURRENT
                ? DaemonRows.CATEGORY_TABLES
                : DaemonRows.CATEGORY_TABLES.stream().filter(t -> !t.startsWith("trigger") && !t.startsWith("datasource")).toList();
        this.dataset = new DifyDataset(3, 7, categories).seed(rows, objects, layout, SEEDED_AT);
    }

    void delete(String key) {
        if (store == Store.LOCAL) {
            try {
                Files.delete(localRoot.resolve(key));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        } else {
            S3ProxyServer.shared().client().deleteObject(b -> b.bucket(bucket).key(key));
        }
    }

    void put(String key, byte[] bytes) {
        objects.put(key, bytes);
    }

    /** Scans with everything that exists now counted as old (S3 objects cannot be back-dated). */
    FindingSink scan(boolean deepVerify) {
        return scan(new GraceWindow(Instant.now().plus(Duration.ofHours(1))), deepVerify);
    }

    FindingSink scan(GraceWindow grace, boolean deepVerify) {
        FindingSink sink = new FindingSink(1000);
        try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(db.readerDataSource(), "public", 100, db.toString())) {
            new Scan(reader, storage, layout, grace, Instant.now().minus(Duration.ofHours(1)), deepVerify, sink).run();
        } catch (Exception e) {
            throw new AssertionError("scan failed: " + e.getMessage(), e);
        }
        return sink;
    }

    /** Non-zero counts by kind: the whole outcome of a scan in one comparable value. */
    static Map<FindingKind, Long> counts(FindingSink sink) {
        Map<FindingKind, Long> counts = new TreeMap<>();
        sink.countsByKind().forEach((k, n) -> {
            if (n > 0) {
                counts.put(k, n);
            }
        });
        return counts;
    }

    @Override
    public void close() {
        db.close();
    }
}
