package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The key mapping of Aliyun's {@code ALIYUN_OSS_PATH} root alone, over a recording stand-in store (keys S3Proxy's
 * file-system backend cannot hold, such as {@code a//b}, are exactly the ones this is about; the real-store behaviour
 * is in AliyunRootedObjectStorageTest and S3CompatibleProvidersTest).
 */
class RootedObjectStorageTest {

    /** Lists fixed keys; records every key it is asked about. */
    private static final class Recording implements ObjectStorage {
        final List<String> stored;
        final List<String> asked = new ArrayList<>();

        Recording(String... stored) {
            this.stored = List.of(stored);
        }

        @Override
        public Stream<StoredObject> list(String prefix) {
            asked.add("list " + prefix);
            return stored.stream().filter(k -> k.startsWith(prefix)).map(k -> new StoredObject(k, 1, Instant.EPOCH, "\"e\""));
        }

        @Override
        public InputStream open(String key) {
            asked.add("open " + key);
            return InputStream.nullInputStream();
        }

        @Override
        public Optional<StoredObject> head(String key) {
            asked.add("head " + key);
            return stored.contains(key) ? Optional.of(new StoredObject(key, 1, Instant.EPOCH, "\"e\"")) : Optional.empty();
        }

        @Override
        public StoredObject copy(StoredObject source, String targetKey, StoredObject expectedTarget) {
            asked.add("copy " + source.key() + " " + targetKey);
            return new StoredObject(targetKey, 1, Instant.EPOCH, "\"e\"");
        }

        @Override
        public StoredObject put(String key, InputStream content, long length, StoredObject expectedTarget) {
            asked.add("put " + key);
            return new StoredObject(key, length, Instant.EPOCH, "\"e\"");
        }

        @Override
        public void delete(StoredObject expected) {
            asked.add("delete " + expected.key());
        }

        @Override
        public void checkReachable() {
        }

        @Override
        public String describe() {
            return "recording";
        }
    }

    @Test
    void theRootPrefixIsTheCleanedRootAndASlash() {
        assertEquals("", RootedObjectStorage.rootPrefix(""));
        assertEquals("", RootedObjectStorage.rootPrefix("."));
        assertEquals("x/y/", RootedObjectStorage.rootPrefix("x/y/"));
        assertEquals("x/y/", RootedObjectStorage.rootPrefix("x//y/."));
        assertEquals("b/", RootedObjectStorage.rootPrefix("a/../b"));
        assertEquals("/x/", RootedObjectStorage.rootPrefix("/x"), "ALIYUN_OSS_PATH=//x keeps one leading slash");
    }

    @Test
    void keysGoInUnderTheRootAndComeOutWithoutIt() {
        Recording store = new Recording("x/y-old/plugin/a:1@b", "x/y/plugin/a:1@b", "x/yplugin/c:1@d");
        RootedObjectStorage rooted = new RootedObjectStorage(store, "x/y", "ALIYUN_OSS_PATH");

        try (Stream<StoredObject> listing = rooted.list("plugin")) {
            assertEquals(List.of("plugin/a:1@b"), listing.map(StoredObject::key).toList());
        }
        assertEquals("plugin/a:1@b", rooted.head("plugin/a:1@b").orElseThrow().key());
        StoredObject copy = rooted.copy(rooted.head("plugin/a:1@b").orElseThrow(), "reconciler-quarantine/plugin/a:1@b", null);
        assertEquals("reconciler-quarantine/plugin/a:1@b", copy.key());
        assertEquals(List.of("list x/y/plugin", "head x/y/plugin/a:1@b", "head x/y/plugin/a:1@b",
                "copy x/y/plugin/a:1@b x/y/reconciler-quarantine/plugin/a:1@b"), store.asked);
    }

    @Test
    void aKeyTheDaemonCannotAddressIsListedAsItIsButNeverReadOrWritten() {
        // Written by something else: the daemon's path.Join(root, "plugin/a//b:1@c") is ".../plugin/a/b:1@c", another key.
        Recording store = new Recording("x/y/plugin/a//b:1@c", "x/y/plugin/a/b:1@c");
        RootedObjectStorage rooted = new RootedObjectStorage(store, "x/y", "ALIYUN_OSS_PATH");

        try (Stream<StoredObject> listing = rooted.list("plugin/")) {
            assertEquals(List.of("plugin/a//b:1@c", "plugin/a/b:1@c"), listing.map(StoredObject::key).toList());
        }
        StorageException e = assertThrows(StorageException.class, () -> rooted.head("plugin/a//b:1@c"));
        assertTrue(e.getMessage().startsWith("key 'plugin/a//b:1@c' is not one the daemon can address under ALIYUN_OSS_PATH:"
                + " the daemon's path.Join puts it at 'x/y/plugin/a/b:1@c', not at 'x/y/plugin/a//b:1@c'"), e.getMessage());
        assertThrows(StorageException.class, () -> rooted.delete(new StoredObject("plugin/a//b:1@c", 1, Instant.EPOCH, "\"e\"")));
        assertThrows(StorageException.class, () -> rooted.put("plugin/../../z", new byte[1], null));
        assertEquals(List.of("list x/y/plugin/"), store.asked, "nothing but the listing reached the store");
    }
}
