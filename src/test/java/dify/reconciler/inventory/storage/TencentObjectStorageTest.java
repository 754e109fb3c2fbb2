package dify.reconciler.inventory.storage;

import dify.reconciler.testsupport.ObjectWriter;
import dify.reconciler.testsupport.S3CompatibleStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The storage contract on Tencent COS as the product opens it from the daemon's variables: the bucket URL
 * {@code TENCENT_COS_ENDPOINT} gives the S3 host (its host without the bucket label), virtual-hosted on S3Proxy; no
 * target or delete preconditions are sent (COS documents none), so every guarded write rests on the HEAD check.
 */
class TencentObjectStorageTest extends ObjectStorageContract {

    private S3CompatibleStore store;

    @BeforeEach
    void open() {
        store = S3CompatibleStore.tencent();
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Override
    ObjectStorage storage() {
        return store.storage();
    }

    @Override
    ObjectWriter writer() {
        return store.writer();
    }
}
