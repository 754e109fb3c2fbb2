package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.testsupport.ObjectWriter;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Behaviour every {@link ObjectStorage} must share, run against real S3 (S3Proxy) and a real folder.
 * Subclasses provide a fresh, empty store per test.
 */
abstract class ObjectStorageContract {

    /** An empty store. */
    abstract ObjectStorage storage();

    /** Writes into the store returned by {@link #storage()}. */
    abstract ObjectWriter writer();

    /**
     * False where the JVM cannot represent non-ASCII names (local storage under a non-UTF-8 locale). Then the
     * ordering contract fails, never skips: a CI run without it must not go green.
     */
    boolean supportsNonAsciiKeys() {
        return true;
    }

    List<String> keys(String prefix) {
        try (Stream<StoredObject> listing = storage().list(prefix)) {
            return listing.map(StoredObject::key).toList();
        }
    }

    @Test
    void listsKeysInUtf8ByteOrderKeepingTheDaemonsSpecialCharactersExact() {
        assertTrue(supportsNonAsciiKeys(), () -> "file names are not decoded as UTF-8 in this JVM (sun.jnu.encoding="
                + System.getProperty("sun.jnu.encoding") + "): run with LANG=C.UTF-8, as the pom's surefire configuration and .ci/run do");
        // Written in the order a bug would be likely to produce, the expected order spelled out by hand.
        List<String> expected = List.of(
                "a-c", // '-' 0x2D sorts before '/' 0x2F: a-c comes before everything under a/
                "a/b",
                "a0",
                "ab/c",
                "persistence/tenant-1/author/name/k@v",
                "plugin/lang:x", // ':' 0x3A before 'g'
                "plugin/langgenius/openai-x:1@a",
                "plugin/langgenius/openai:0.0.1@abc",
                "x/cafe",
                "x/caf\u00e9", // é U+00E9
                "x/caf\uFF1A", // fullwidth colon U+FF1A, what some copy tools turn ':' into
                "y/z",
                "y/\u00e9",
                "y/\uD83D\uDE00"); // U+1F600, above U+FFFF
        writer().putAll(List.of(expected.get(13), expected.get(1), expected.get(7), expected.get(0), expected.get(10),
                expected.get(9), expected.get(8), expected.get(6), expected.get(5), expected.get(4), expected.get(3),
                expected.get(2), expected.get(12), expected.get(11)));

        assertEquals(expected, keys(""));
    }

    @Test
    void aPrefixMatchesWholeKeysNotPathSegments() {
        writer().putAll(List.of("plugin/x", "plugin_packages/x", "pluginx", "plugin/langgenius/a", "plugin/other/b"));

        assertEquals(List.of("plugin/langgenius/a", "plugin/other/b", "plugin/x"), keys("plugin/"));
        assertEquals(List.of("plugin/langgenius/a"), keys("plugin/lang"));
        assertEquals(List.of("plugin/langgenius/a"), keys("plugin/langgenius/a"));
        assertEquals(List.of("plugin/langgenius/a", "plugin/other/b", "plugin/x", "plugin_packages/x", "pluginx"),
                keys("plugin"));
    }

    @Test
    void aPrefixThatMatchesNothingListsNothing() {
        writer().putAll(List.of("plugin/x"));

        assertEquals(List.of(), keys("assets/"));
        assertEquals(List.of(), keys("plugin/x/y"));
    }

    @Test
    void anEmptyPrefixListsEverythingWithSizes() {
        writer().put("assets/0a1b.png", new byte[] {1, 2, 3});
        writer().put("plugin_packages/a/b:1@c", new byte[0]);

        try (Stream<StoredObject> listing = storage().list("")) {
            List<StoredObject> objects = listing.toList();
            assertEquals(List.of("assets/0a1b.png", "plugin_packages/a/b:1@c"), objects.stream().map(StoredObject::key).toList());
            assertEquals(List.of(3L, 0L), objects.stream().map(StoredObject::size).toList());
        }
    }

    @Test
    void headDescribesAnExistingObjectAndIsEmptyForAMissingOne() {
        Instant before = Instant.now().minusSeconds(5);
        writer().put("plugin/langgenius/openai:0.0.1@abc", new byte[42]);

        Optional<StoredObject> present = storage().head("plugin/langgenius/openai:0.0.1@abc");
        assertTrue(present.isPresent());
        assertEquals("plugin/langgenius/openai:0.0.1@abc", present.get().key());
        assertEquals(42, present.get().size());
        Instant modified = present.get().lastModified();
        assertTrue(modified.isAfter(before) && modified.isBefore(Instant.now().plus(Duration.ofSeconds(5))),
                "last modified " + modified);

        assertEquals(Optional.empty(), storage().head("plugin/langgenius/openai:0.0.2@abc"));
        assertEquals(Optional.empty(), storage().head("plugin/langgenius"), "a 'directory' is not an object");
    }

    @Test
    void openReadsTheExactBytes() throws IOException {
        byte[] content = new byte[256];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) i;
        }
        writer().put("plugin_packages/langgenius/openai:0.0.1@abc", content);

        try (InputStream in = storage().open("plugin_packages/langgenius/openai:0.0.1@abc")) {
            assertArrayEquals(content, in.readAllBytes());
        }
    }

    @Test
    void openingAMissingObjectFails() {
        StorageException e = assertThrows(StorageException.class, () -> storage().open("plugin/nope:1@x").close());
        assertTrue(e.getMessage().contains("plugin/nope:1@x") || e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void checkReachableAcceptsAnExistingStore() {
        storage().checkReachable();
    }

    // --- guarded writes (remediation) ---

    private byte[] read(String key) {
        try (InputStream in = storage().open(key)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private StoredObject headOf(String key) {
        return storage().head(key).orElseThrow(() -> new AssertionError(key + " is missing"));
    }

    @Test
    void copyWritesTheSameBytesToANewKeyAndLeavesTheSource() {
        writer().put("plugin_packages/a/b:1@c", "package bytes");
        StoredObject source = headOf("plugin_packages/a/b:1@c");

        StoredObject copied = storage().copy(source, "reconciler-quarantine/plugin_packages/a/b:1@c", null);

        assertEquals("reconciler-quarantine/plugin_packages/a/b:1@c", copied.key());
        assertEquals(source.size(), copied.size());
        assertArrayEquals("package bytes".getBytes(), read(copied.key()));
        assertTrue(source.sameVersionAs(headOf(source.key())), "the source is untouched");
    }

    @Test
    void copyNeverOverwritesATargetItWasNotGiven() {
        writer().put("plugin_packages/a/b:1@c", "new");
        writer().put("plugin/a/b:1@c", "already there");
        StoredObject source = headOf("plugin_packages/a/b:1@c");

        assertThrows(ObjectChangedException.class, () -> storage().copy(source, "plugin/a/b:1@c", null));
        assertArrayEquals("already there".getBytes(), read("plugin/a/b:1@c"));
    }

    @Test
    void copyOfASourceThatChangedSinceItWasObservedWritesNothing() {
        writer().put("plugin_packages/a/b:1@c", "observed");
        StoredObject observed = headOf("plugin_packages/a/b:1@c");
        writer().put("plugin_packages/a/b:1@c", "changed since, longer");

        assertThrows(ObjectChangedException.class, () -> storage().copy(observed, "plugin/a/b:1@c", null));
        assertEquals(Optional.empty(), storage().head("plugin/a/b:1@c"));
    }

    @Test
    void copyReplacesATargetOnlyAtItsObservedVersion() {
        writer().put("plugin_packages/a/b:1@c", "verified package");
        writer().put("plugin/a/b:1@c", "old copy");
        StoredObject source = headOf("plugin_packages/a/b:1@c");
        StoredObject oldTarget = headOf("plugin/a/b:1@c");
        writer().put("plugin/a/b:1@c", "rewritten meanwhile");

        assertThrows(ObjectChangedException.class, () -> storage().copy(source, "plugin/a/b:1@c", oldTarget));
        assertArrayEquals("rewritten meanwhile".getBytes(), read("plugin/a/b:1@c"));

        StoredObject current = headOf("plugin/a/b:1@c");
        storage().copy(source, "plugin/a/b:1@c", current);
        assertArrayEquals("verified package".getBytes(), read("plugin/a/b:1@c"));
    }

    @Test
    void putCreatesANewKeyAndReplacesOnlyAtTheObservedVersion() {
        StoredObject created = storage().put("assets/0a.png", new byte[] {1, 2, 3}, null);
        assertEquals(3, created.size());
        assertArrayEquals(new byte[] {1, 2, 3}, read("assets/0a.png"));

        assertThrows(ObjectChangedException.class, () -> storage().put("assets/0a.png", new byte[] {9}, null));
        writer().put("assets/0a.png", new byte[] {4, 5, 6, 7});
        assertThrows(ObjectChangedException.class, () -> storage().put("assets/0a.png", new byte[] {9}, created));
        assertArrayEquals(new byte[] {4, 5, 6, 7}, read("assets/0a.png"));

        storage().put("assets/0a.png", new byte[] {9}, headOf("assets/0a.png"));
        assertArrayEquals(new byte[] {9}, read("assets/0a.png"));
    }

    @Test
    void deleteRemovesOnlyTheObservedVersion() {
        writer().put("plugin/bad key", "observed");
        StoredObject observed = headOf("plugin/bad key");
        writer().put("plugin/bad key", "changed since, longer");

        assertThrows(ObjectChangedException.class, () -> storage().delete(observed));
        assertArrayEquals("changed since, longer".getBytes(), read("plugin/bad key"));

        storage().delete(headOf("plugin/bad key"));
        assertEquals(Optional.empty(), storage().head("plugin/bad key"));
        assertThrows(ObjectChangedException.class, () -> storage().delete(observed), "a gone object is not deleted again");
    }

    @Test
    void writesLeaveNothingButTheirObjectsBehind() {
        writer().put("plugin_packages/a/b:1@c", "bytes");
        storage().copy(headOf("plugin_packages/a/b:1@c"), "plugin/a/b:1@c", null);
        storage().put("assets/x.png", new byte[] {1}, null);

        assertEquals(List.of("assets/x.png", "plugin/a/b:1@c", "plugin_packages/a/b:1@c"), keys(""));
    }
}
