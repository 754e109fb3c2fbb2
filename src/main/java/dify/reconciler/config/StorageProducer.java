package dify.reconciler.config;

import dify.reconciler.inventory.storage.LocalObjectStorage;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.S3ObjectStorage;
import dify.reconciler.inventory.storage.S3Settings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The bucket or folder named by {@code PLUGIN_STORAGE_TYPE} and its companions. */
@ApplicationScoped
public class StorageProducer {

    @Produces
    @Singleton
    ObjectStorage objectStorage(DaemonSettings settings) {
        return switch (settings.storageType()) {
            case LOCAL -> new LocalObjectStorage(settings.localRoot());
            case S3 -> S3ObjectStorage.create(new S3Settings(settings.s3Endpoint(), settings.s3UsePathStyle(),
                    settings.s3UseAws(), settings.awsAccessKey(), settings.awsSecretKey(), settings.awsRegion(),
                    settings.bucket()));
        };
    }

    void close(@Disposes ObjectStorage storage) {
        storage.close();
    }
}
