package dify.reconciler.testsupport;

import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import java.io.InputStream;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real storage seen through a wrapper: every operation goes to {@code real}; a test overrides the one it breaks,
 * delays or watches (the one delegating storage of the tests, so a new {@link ObjectStorage} method is added here
 * once).
 */
public class ForwardingStorage implements ObjectStorage {

    private final ObjectStorage real;

    public ForwardingStorage(ObjectStorage real) {
        this.real = real;
    }

    @Override
    public Stream<StoredObject> list(String prefix) {
        return real.list(prefix);
    }

    @Override
    public InputStream open(String key) {
        return real.open(key);
    }

    @Override
    public Optional<StoredObject> head(String key) {
        return real.head(key);
    }

    @Override
    public StoredObject copy(StoredObject source, String targetKey, StoredObject expectedTarget) {
        return real.copy(source, targetKey, expectedTarget);
    }

    @Override
    public StoredObject put(String key, InputStream content, long length, StoredObject expectedTarget) {
        return real.put(key, content, length, expectedTarget);
    }

    @Override
    public void delete(StoredObject expected) {
        real.delete(expected);
    }

    @Override
    public void checkReachable() {
        real.checkReachable();
    }

    @Override
    public String describe() {
        return real.describe();
    }
}
