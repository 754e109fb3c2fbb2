package dify.reconciler.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.inventory.storage.LocalObjectStorage;
import dify.reconciler.inventory.storage.StorageRequestListener;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up's check of {@code reconciler.storage.listing=inventory}: the location's scheme is the storage type's. */
class InventoryListingCheckTest {

    @TempDir
    Path root;

    private ConfigurationCheck check(Map<String, String> daemonEnv, String location) {
        Map<String, String> env = new HashMap<>(daemonEnv);
        env.put("DB_HOST", "db");
        env.put("DB_USERNAME", "u");
        ConfigurationCheck check = new ConfigurationCheck();
        check.daemon = DaemonSettings.from(name -> Optional.ofNullable(env.get(name)));
        check.config = new SmallRyeConfigBuilder().withMapping(ReconcilerConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(Map.of("reconciler.storage.listing", "inventory",
                        "reconciler.storage.inventory-location", location), "test", 300))
                .build().getConfigMapping(ReconcilerConfig.class);
        check.storage = new LocalObjectStorage(root, StorageRequestListener.NO_OP);
        return check;
    }

    private static final Map<String, String> AZURE = Map.of("PLUGIN_STORAGE_TYPE", "azure_blob", "AZURE_BLOB_STORAGE_CONTAINER_NAME",
            "daemon", "AZURE_BLOB_STORAGE_CONNECTION_STRING", "AccountName=a;AccountKey=a2V5;EndpointSuffix=core.windows.net");
    private static final Map<String, String> GCS = Map.of("PLUGIN_STORAGE_TYPE", "gcs", "PLUGIN_STORAGE_OSS_BUCKET", "daemon");

    @Test
    void eachStorageTypeReadsItsOwnProvidersReports() {
        assertDoesNotThrow(() -> check(AZURE, "azure://inventory/daemon-rule").check());
        assertDoesNotThrow(() -> check(GCS, "gs://inventory/reports/").check());
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> check(AZURE, "s3://inventory/reports/daemon/daily/").check());
        assertTrue(wrong.getMessage().contains("reconciler.storage.inventory-location='s3://inventory/reports/daemon/daily/' is a s3://"
                + " location, and PLUGIN_STORAGE_TYPE=azure_blob reads azure:// reports only"), wrong.getMessage());
        IllegalArgumentException gs = assertThrows(IllegalArgumentException.class, () -> check(GCS, "azure://inventory/r").check());
        assertTrue(gs.getMessage().contains("PLUGIN_STORAGE_TYPE=gcs reads gs:// reports only"), gs.getMessage());
        IllegalArgumentException local = assertThrows(IllegalArgumentException.class,
                () -> check(Map.of("PLUGIN_STORAGE_TYPE", "local", "PLUGIN_STORAGE_LOCAL_ROOT", root.toString()), "s3://x/y/").check());
        assertTrue(local.getMessage().contains("it needs PLUGIN_STORAGE_TYPE=aws_s3, azure_blob or gcs, not local"), local.getMessage());
    }
}
