package dify.reconciler.observe;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyApiDatabase;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A plugin daemon with exactly one drift: a realistic dataset (embedded PostgreSQL, local storage in a temp
 * folder) whose first local plugin has lost its package object, so a scan finds one {@code package_missing}
 * and nothing else. Scheduled scans are off; tests start scans with {@code POST /api/v1/runs}.
 */
public class DriftedDaemon implements QuarkusTestResourceLifecycleManager {

    /** 2 tenants, 3 local plugins (plus the dataset's serverless and remote ones). */
    static final int TENANTS = 2;
    static final int LOCAL_PLUGINS = 3;

    /** Seeded state the tests compare against; set by {@link #start()} (same JVM as the tests). */
    static volatile DifyDataset dataset;
    /** The daemon's database, for tests that act as the daemon (its owner's connections). */
    static volatile TestDatabase database;
    /** The daemon's storage folder ({@code PLUGIN_STORAGE_LOCAL_ROOT}), for tests that act on its objects. */
    static volatile Path storageRoot;

    /** Dify's own database beside the daemon's (init arg {@code dify=tenants}), holding the dataset's workspaces. */
    static volatile TestDatabase difyDatabase;

    private TestDatabase db;
    private TestDatabase dify;
    private Path root;
    private boolean asOwner;
    private boolean withDify;

    /**
     * {@code credentials=owner} connects the service as the daemon's user (who may create our schema: state is
     * persisted, as for a sidecar sharing the daemon's Secret); the default is the SELECT-only role (state in memory).
     */
    @Override
    public void init(Map<String, String> initArgs) {
        asOwner = "owner".equals(initArgs.get("credentials"));
        withDify = "tenants".equals(initArgs.get("dify"));
    }

    @Override
    public Map<String, String> start() {
        db = SchemaFixture.CURRENT.newDatabase();
        try {
            root = Files.createTempDirectory("reconciler-observe-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LocalObjectWriter objects = new LocalObjectWriter(root);
        DifyDataset seeded = new DifyDataset(TENANTS, LOCAL_PLUGINS, DaemonRows.CATEGORY_TABLES)
                .seed(DaemonRows.on(db), objects, StorageLayout.DEFAULT, Instant.now().minus(Duration.ofHours(2)));
        try {
            Files.delete(objects.resolve(seeded.localPlugin(0).pkg().key(StorageLayout.DEFAULT.packages())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        dataset = seeded;
        database = db;
        storageRoot = root;
        Map<String, String> config = new java.util.HashMap<>();
        if (withDify) {
            try {
                dify = DifyApiDatabase.create(db.server(), seeded.tenants);
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
            difyDatabase = dify;
            config.put("reconciler.dify-database", dify.name());
        }
        config.putAll(Map.of(
                "DB_HOST", db.host(),
                "DB_PORT", String.valueOf(db.port()),
                "DB_USERNAME", asOwner ? EmbeddedPostgres.DAEMON_USER : db.username(),
                "DB_PASSWORD", asOwner ? EmbeddedPostgres.DAEMON_PASSWORD : db.password(),
                "DB_DATABASE", db.name(),
                "PLUGIN_STORAGE_TYPE", "local",
                "PLUGIN_STORAGE_LOCAL_ROOT", root.toString(),
                "reconciler.grace-period", "0s",
                "reconciler.interval", "off"));
        return config;
    }

    @Override
    public void stop() {
        if (dify != null) {
            dify.close();
        }
        if (db != null) {
            db.close();
        }
        if (root != null) {
            try (var files = Files.walk(root)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // A leftover temp folder is harmless; say so rather than fail the suite.
                System.err.println("could not delete " + root + ": " + e);
            }
        }
    }
}
