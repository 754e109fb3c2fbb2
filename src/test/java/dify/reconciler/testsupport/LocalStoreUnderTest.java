package dify.reconciler.testsupport;

import dify.reconciler.inventory.storage.ObjectStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** A fresh folder read as the daemon's {@code local} storage (an absolute {@code PLUGIN_STORAGE_LOCAL_ROOT}). */
final class LocalStoreUnderTest implements StoreUnderTest {

    private final Path root;
    private final ObjectStorage storage;

    LocalStoreUnderTest() {
        try {
            root = Files.createTempDirectory("plugin-storage");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        storage = StoresUnderTest.productStorage(daemonEnvironment());
    }

    @Override
    public String storageType() {
        return "local";
    }

    @Override
    public Map<String, String> daemonEnvironment() {
        Map<String, String> env = new HashMap<>();
        env.put("PLUGIN_STORAGE_TYPE", storageType());
        env.put("PLUGIN_STORAGE_LOCAL_ROOT", root.toString());
        return env;
    }

    @Override
    public ObjectStorage storage() {
        return storage;
    }

    @Override
    public ObjectWriter writer() {
        return new LocalObjectWriter(root);
    }

    @Override
    public void delete(String key) {
        try {
            Files.delete(root.resolve(key));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Map<String, String> contents() {
        return BucketContents.of(root);
    }

    @Override
    public String nativeVersionTag(String key) {
        return null;
    }

    /** Deletes the folder: a test JVM that closes its stores leaves nothing in the temporary directory. */
    @Override
    public void close() {
        S3ProxyServer.deleteRecursively(root);
    }

    @Override
    public String toString() {
        return "local:" + root;
    }
}
