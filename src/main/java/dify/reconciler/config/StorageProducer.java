package dify.reconciler.config;

import dify.reconciler.inventory.storage.AzureBlobObjectStorage;
import dify.reconciler.inventory.storage.AzureBlobSettings;
import dify.reconciler.inventory.storage.AzureInventoryManifest;
import dify.reconciler.inventory.storage.GcsInventoryManifest;
import dify.reconciler.inventory.storage.GcsObjectStorage;
import dify.reconciler.inventory.storage.GcsSettings;
import dify.reconciler.inventory.storage.InventoryListing;
import dify.reconciler.inventory.storage.InventoryLocation;
import dify.reconciler.inventory.storage.LocalObjectStorage;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.RootedObjectStorage;
import dify.reconciler.inventory.storage.S3InventoryManifest;
import dify.reconciler.inventory.storage.S3ObjectStorage;
import dify.reconciler.inventory.storage.S3Settings;
import dify.reconciler.inventory.storage.S3Timeouts;
import dify.reconciler.inventory.storage.StorageRequestListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Optional;

/** The bucket or folder named by {@code PLUGIN_STORAGE_TYPE} and its companions. */
@ApplicationScoped
public class StorageProducer {

    @Produces
    @Singleton
    ObjectStorage objectStorage(DaemonSettings settings, ReconcilerConfig config, StorageRequestListener requests) {
        // The readiness probe lists the package prefix: a least-privilege bucket policy allows no listing without one.
        // `requests` is the metrics layer (observe.StorageRequestMetrics), counting every request by operation and outcome.
        return open(settings, timeouts(config.s3()), requests, config.storage().s3Endpoint());
    }

    /**
     * The store {@code settings} name, built from the daemon's variables only. Public so tests build each backend
     * exactly as the product does.
     */
    public static ObjectStorage open(DaemonSettings settings, S3Timeouts timeouts, StorageRequestListener requests) {
        return open(settings, timeouts, requests, Optional.empty());
    }

    /** @param s3EndpointOverride {@code reconciler.storage.s3-endpoint}, for the S3-compatible clouds */
    public static ObjectStorage open(DaemonSettings settings, S3Timeouts timeouts, StorageRequestListener requests,
            Optional<String> s3EndpointOverride) {
        return switch (settings.storageType()) {
            case LOCAL -> new LocalObjectStorage(settings.localRoot(), requests);
            case S3 -> S3ObjectStorage.create(new S3Settings(settings.s3Endpoint(), settings.s3UsePathStyle(),
                    settings.s3UseAws(), settings.s3UseManagedIam(), settings.awsAccessKey(), settings.awsSecretKey(),
                    settings.awsRegion(), settings.bucket()), timeouts, requests, settings.layout().packages());
            case ALIYUN_OSS, TENCENT_COS, HUAWEI_OBS, VOLCENGINE_TOS, BAIDU_BOS -> s3Compatible(
                    S3CompatibleSettings.from(settings.storageType(), settings.storageVariables(), s3EndpointOverride),
                    timeouts, requests, settings.layout().packages());
            case AZURE_BLOB -> AzureBlobObjectStorage.create(AzureBlobSettings.from(settings.storageVariables()), timeouts,
                    requests, settings.layout().packages());
            case GCS -> GcsObjectStorage.create(GcsSettings.from(settings.storageVariables()), timeouts, requests,
                    settings.layout().packages());
        };
    }

    /**
     * The provider's S3 API; for Aliyun every key under the daemon's {@code ALIYUN_OSS_PATH} root (always wrapped: with
     * no root the daemon still cleans every key with path.Join). The reachability probe lists the package prefix
     * under the root.
     */
    static ObjectStorage s3Compatible(S3CompatibleSettings s, S3Timeouts timeouts, StorageRequestListener requests,
            String packagesPrefix) {
        if (s.type() != StorageType.ALIYUN_OSS) {
            return S3ObjectStorage.create(s.s3Settings(), timeouts, requests, packagesPrefix, s.dialect());
        }
        String rootPrefix = RootedObjectStorage.rootPrefix(s.root());
        return new RootedObjectStorage(S3ObjectStorage.create(s.s3Settings(), timeouts, requests, rootPrefix + packagesPrefix,
                s.dialect()), s.root(), "ALIYUN_OSS_PATH");
    }

    /**
     * The bucket (container) an inventory delivers its reports to ({@code reconciler.storage.inventory-location}), read
     * with the daemon's endpoint and credentials (they need read access to it; see docs/inventory-reports.md): S3, Azure
     * Blob (the account of the daemon's connection string or managed identity) or GCS, as the daemon's storage type.
     */
    public static ObjectStorage inventoryReports(DaemonSettings settings, ReconcilerConfig config, StorageRequestListener requests,
            String bucket) {
        S3Timeouts timeouts = timeouts(config.s3());
        return switch (settings.storageType()) {
            case AZURE_BLOB -> {
                AzureBlobSettings a = AzureBlobSettings.from(settings.storageVariables());
                yield AzureBlobObjectStorage.create(new AzureBlobSettings(bucket, a.serviceUrl(), a.accountName(), a.accountKey(),
                        a.sasToken(), a.managedIdentity()), timeouts, requests, null);
            }
            case GCS -> {
                GcsSettings g = GcsSettings.from(settings.storageVariables());
                yield GcsObjectStorage.create(new GcsSettings(bucket, g.credentialsJson(), g.emulator()), timeouts, requests, null);
            }
            default -> S3ObjectStorage.create(new S3Settings(settings.s3Endpoint(), settings.s3UsePathStyle(), settings.s3UseAws(),
                    settings.s3UseManagedIam(), settings.awsAccessKey(), settings.awsSecretKey(), settings.awsRegion(), bucket),
                    timeouts, requests);
        };
    }

    /** The daemon's bucket as its inventory reports name it: the Azure container, else the bucket. */
    public static String inventoryBucket(DaemonSettings settings) {
        return settings.storageType() == StorageType.AZURE_BLOB
                ? AzureBlobSettings.from(settings.storageVariables()).container()
                : settings.bucket();
    }

    /** How the reports at {@code location} are found and read: by its scheme (the start-up check matched it to the type). */
    public static InventoryListing.Format inventoryFormat(InventoryLocation location, String bucket) {
        return switch (location.scheme()) {
            case "azure" -> AzureInventoryManifest.latest(location, bucket);
            case "gs" -> GcsInventoryManifest.latest(location, bucket);
            default -> S3InventoryManifest.latest(location);
        };
    }

    static S3Timeouts timeouts(ReconcilerConfig.S3 s3) {
        return new S3Timeouts(s3.connectTimeout(), s3.readTimeout(), s3.requestTimeout());
    }

    void close(@Disposes ObjectStorage storage) {
        storage.close();
    }
}
