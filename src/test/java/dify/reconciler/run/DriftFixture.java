package dify.reconciler.run;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.detect.FindingSink;
import dify.reconciler.detect.GraceWindow;
import dify.reconciler.inventory.postgres.DaemonDatabaseReader;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.workdir.WorkingPath;
import dify.reconciler.report.ScanPhase;
import dify.reconciler.report.ScanReport;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.ObjectWriter;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.StoreUnderTest;
import dify.reconciler.testsupport.StoresUnderTest;
import dify.reconciler.testsupport.TestDatabase;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A real PostgreSQL database with the daemon's schema and a real store (any backend of {@link StoresUnderTest}),
 * seeded with a consistent {@link DifyDataset}; tests break one thing and scan.
 */
final class DriftFixture implements AutoCloseable {

    /** The two stores the per-kind catalog runs on; {@link EveryStoreCatalogTest} runs on every backend. */
    enum Store {
        S3("s3"),
        LOCAL("local");

        final StoresUnderTest.Backend backend;

        Store(String name) {
            this.backend = StoresUnderTest.named(name);
        }
    }

    /** Rows and objects of the seeded dataset are this old. */
    static final Instant SEEDED_AT = Instant.now().minus(Duration.ofDays(2));

    final StoreUnderTest store;
    final TestDatabase db;
    final DaemonRows rows;
    final ObjectWriter objects;
    final ObjectStorage storage;
    /** The layout the product derives from the backend's daemon variables (on GCS: the daemon lists raw prefixes). */
    final StorageLayout layout;
    final DifyDataset dataset;

    DriftFixture(Store store, SchemaFixture schema) {
        this(store.backend, schema);
    }

    DriftFixture(StoresUnderTest.Backend backend, SchemaFixture schema) {
        this(backend, schema, 7);
    }

    /** With {@code localPlugins} uploaded plugins (fewer objects to seed and scan for tests that need only a few). */
    DriftFixture(StoresUnderTest.Backend backend, SchemaFixture schema, int localPlugins) {
        this.db = schema.newDatabase();
        this.rows = DaemonRows.on(db);
        this.store = backend.open();
        this.objects = store.writer();
        this.storage = store.storage();
        this.layout = daemonLayout(store.daemonEnvironment());
        List<String> categories = schema == SchemaFixture.CURRENT
                ? DaemonRows.CATEGORY_TABLES
                : DaemonRows.CATEGORY_TABLES.stream().filter(t -> !t.startsWith("trigger") && !t.startsWith("datasource")).toList();
        this.dataset = new DifyDataset(3, localPlugins, categories).seed(rows, objects, layout, SEEDED_AT);
    }

    /** The layout the product builds from the daemon's variables (the database ones are placeholders). */
    static StorageLayout daemonLayout(Map<String, String> storageEnvironment) {
        Map<String, String> env = new HashMap<>(storageEnvironment);
        env.put("DB_HOST", "unused.invalid");
        env.put("DB_USERNAME", "unused");
        return DaemonSettings.from(name -> Optional.ofNullable(env.get(name))).layout();
    }

    void delete(String key) {
        store.delete(key);
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

    /** What a scan that also read a working path returns. */
    record WorkingPathScan(FindingSink sink, ScanReport.WorkingPathScope scope) {
    }

    /** Scans (everything counted as old but the working path's own times) and also reads {@code workingPath} as {@code node}. */
    WorkingPathScan scanWithWorkingPath(WorkingPath workingPath, String node) throws SQLException {
        FindingSink sink = new FindingSink(1000);
        try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(db.readerDataSource(), "public", 100, db.toString())) {
            Scan scan = new Scan(reader, storage, layout, new GraceWindow(Instant.now().minus(Duration.ofHours(1))),
                    Instant.now().minus(Duration.ofHours(1)), false, sink);
            scan.alsoReadWorkingPath(workingPath, node);
            try {
                scan.run();
            } catch (RuntimeException e) {
                throw new WorkingPathScanFailed(scan.phase(), e);
            }
            return new WorkingPathScan(sink, scan.workingPathScope());
        }
    }

    /** A scan that failed, with the phase it failed in. */
    static final class WorkingPathScanFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient ScanPhase phase;

        WorkingPathScanFailed(ScanPhase phase, RuntimeException cause) {
            super(cause.getMessage(), cause);
            this.phase = phase;
        }
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
        try {
            store.close();
        } finally {
            db.close();
        }
    }
}
