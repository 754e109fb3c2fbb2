package dify.reconciler.testsupport;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobItem;
import dify.reconciler.inventory.storage.ObjectStorage;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/** A fresh container on the shared Azurite, reached with a connection string: the daemon's {@code azure_blob}. */
final class AzureStoreUnderTest implements StoreUnderTest {

    private final AzuriteServer azurite = AzuriteServer.shared();
    private final BlobContainerClient container = azurite.createContainer("store-" + UUID.randomUUID().toString().substring(0, 8));
    private final ObjectStorage storage = StoresUnderTest.productStorage(daemonEnvironment());

    @Override
    public String storageType() {
        return "azure_blob";
    }

    @Override
    public Map<String, String> daemonEnvironment() {
        Map<String, String> env = new HashMap<>();
        env.put("PLUGIN_STORAGE_TYPE", storageType());
        env.put("AZURE_BLOB_STORAGE_CONTAINER_NAME", container.getBlobContainerName());
        env.put("AZURE_BLOB_STORAGE_CONNECTION_STRING", azurite.connectionString());
        return env;
    }

    @Override
    public ObjectStorage storage() {
        return storage;
    }

    @Override
    public ObjectWriter writer() {
        return new AzureBlobObjectWriter(container);
    }

    @Override
    public void delete(String key) {
        container.getBlobClient(key).delete();
    }

    @Override
    public Map<String, String> contents() {
        Map<String, String> objects = new TreeMap<>();
        for (BlobItem item : container.listBlobs()) {
            objects.put(item.getName(), BucketContents.sha256(container.getBlobClient(item.getName()).downloadContent().toBytes()));
        }
        return objects;
    }

    @Override
    public String nativeVersionTag(String key) {
        return container.getBlobClient(key).getProperties().getETag();
    }

    @Override
    public void close() {
        storage.close();
    }

    @Override
    public String toString() {
        return "azure_blob://" + container.getBlobContainerName() + " on Azurite";
    }
}
