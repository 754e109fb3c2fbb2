package dify.reconciler.testsupport;

import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import java.io.InputStream;

/** A store for tests of scans: any write fails the test, since a scan never writes. */
public interface ScanOnlyStorage extends ObjectStorage {

    @Override
    default StoredObject copy(StoredObject source, String targetKey, StoredObject expectedTarget) {
        throw new UnsupportedOperationException("a scan never writes: copy of " + source.key());
    }

    @Override
    default StoredObject put(String key, InputStream content, long length, StoredObject expectedTarget) {
        throw new UnsupportedOperationException("a scan never writes: put of " + key);
    }

    @Override
    default void delete(StoredObject expected) {
        throw new UnsupportedOperationException("a scan never writes: delete of " + expected.key());
    }
}
