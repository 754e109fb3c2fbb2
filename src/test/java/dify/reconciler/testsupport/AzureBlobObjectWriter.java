package dify.reconciler.testsupport;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;

/** Puts blobs as the daemon does (one Put Blob, overwriting), with the SDK directly, not through the code under test. */
public final class AzureBlobObjectWriter implements ObjectWriter {

    private final BlobContainerClient container;

    public AzureBlobObjectWriter(BlobContainerClient container) {
        this.container = container;
    }

    @Override
    public void put(String key, byte[] content) {
        container.getBlobClient(key).upload(BinaryData.fromBytes(content), true);
    }
}
