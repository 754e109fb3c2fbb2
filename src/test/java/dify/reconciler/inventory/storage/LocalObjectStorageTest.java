package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.ObjectWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalObjectStorageTest extends ObjectStorageContract {

    @TempDir
    Path temp;

    private Path root;
    private LocalObjectStorage storage;
    private LocalObjectWriter writer;

    @BeforeEach
    void createRoot() throws IOException {
        root = Files.createDirectory(temp.resolve("storage"));
        storage = new LocalObjectStorage(root);
        writer = new LocalObjectWriter(root);
    }

    @Override
    ObjectStorage storage() {
        return storage;
    }

    @Override
    ObjectWriter writer() {
        return writer;
    }

    @Override
    boolean supportsNonAsciiKeys() {
        return LocalObjectStorage.decodesFileNamesAsUtf8(System.getProperty("sun.jnu.encoding"));
    }

    @Test
    void sortsADirectoryAsItsNameFollowedBySlash() {
        // A plain name sort would put directory "a" before file "a-c" and file "a.txt", and so list a/b first.
        writer.putAll(List.of("a/b", "a-c", "a.txt", "a0", "a/a/z", "a/a-"));

        assertEquals(List.of("a-c", "a.txt", "a/a-", "a/a/z", "a/b", "a0"), keys(""));
    }

    @Test
    void takesLastModifiedFromTheFileTime() {
        Instant old = Instant.parse("2024-01-02T03:04:05Z");
        writer.put("plugin_packages/a/b:1@c", "package");
        writer.setLastModified("plugin_packages/a/b:1@c", old);

        try (Stream<StoredObject> listing = storage.list("plugin_packages/")) {
            assertEquals(List.of(new StoredObject("plugin_packages/a/b:1@c", 7, old)), listing.toList());
        }
        assertEquals(Optional.of(new StoredObject("plugin_packages/a/b:1@c", 7, old)), storage.head("plugin_packages/a/b:1@c"));
    }

    @Test
    void skipsSymbolicLinksInsteadOfFollowingThem() throws IOException {
        Path outside = Files.createDirectory(temp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "not ours");
        writer.put("plugin/real", "x");
        Files.createSymbolicLink(root.resolve("plugin/linked-dir"), outside);
        Files.createSymbolicLink(root.resolve("plugin/linked-file"), root.resolve("plugin/real"));

        assertEquals(List.of("plugin/real"), keys(""));
        StorageException e = assertThrows(StorageException.class, () -> keys("plugin/linked-dir/"));
        assertTrue(e.getMessage().contains("a symbolic link, which is not followed"), e.getMessage());
        assertEquals(Optional.empty(), storage.head("plugin/linked-file"));
    }

    @Test
    void aPrefixFolderThatCannotBeReadFailsInsteadOfListingAsEmpty() throws IOException {
        // A volume mounted as a link in place of "plugin/": reading it as "no installed copies" would make
        // every plugins row look like installed_object_missing.
        Path elsewhere = Files.createDirectory(temp.resolve("elsewhere"));
        Files.writeString(elsewhere.resolve("x"), "x");
        Files.createSymbolicLink(root.resolve("plugin"), elsewhere);
        writer.put("plugin_packages/a/b:1@c", "package");

        StorageException e = assertThrows(StorageException.class, () -> keys("plugin/"));
        assertTrue(e.getMessage().contains("exists but is a symbolic link"), e.getMessage());
        assertThrows(StorageException.class, () -> keys("plugin/langgenius/"));
        assertEquals(List.of("plugin_packages/a/b:1@c"), keys("plugin_packages/"));
    }

    @Test
    void aPrefixFolderThatDoesNotExistIsAnEmptyListing() {
        writer.put("plugin_packages/a/b:1@c", "package");

        assertEquals(List.of(), keys("plugin/"));
        assertEquals(List.of(), keys("persistence/tenant/"));
    }

    @Test
    void neverLooksOutsideTheRoot() throws IOException {
        Files.writeString(temp.resolve("beside"), "x");
        writer.put("plugin/x", "x");

        assertEquals(List.of(), keys("plugin/../plugin/"));
        assertEquals(List.of(), keys("../"));
        assertEquals(List.of(), keys("plugin//"));
        assertEquals(Optional.empty(), storage.head("../beside"));
        assertThrows(StorageException.class, () -> storage.open("../beside"));
    }

    @Test
    void aMissingRootFailsWithItsPath() {
        Path missing = temp.resolve("not-there");
        LocalObjectStorage absent = new LocalObjectStorage(missing);

        StorageException listing = assertThrows(StorageException.class, () -> absent.list("plugin/"));
        assertTrue(listing.getMessage().contains(missing.toString()), listing.getMessage());
        StorageException check = assertThrows(StorageException.class, absent::checkReachable);
        assertTrue(check.getMessage().contains(missing + " does not exist"), check.getMessage());
    }

    @Test
    void aRootThatIsAFileFails() throws IOException {
        Path file = Files.writeString(temp.resolve("file"), "x");

        StorageException e = assertThrows(StorageException.class, () -> new LocalObjectStorage(file).list(""));
        assertTrue(e.getMessage().contains(file + " is not a directory"), e.getMessage());
    }

    @Test
    void emptyDirectoriesAreNotObjects() throws IOException {
        Files.createDirectories(root.resolve("plugin/empty/deeper"));

        assertEquals(List.of(), keys(""));
        assertFalse(storage.head("plugin/empty").isPresent());
    }

    @Test
    void recognisesUtf8FileNameEncodings() {
        assertTrue(LocalObjectStorage.decodesFileNamesAsUtf8("UTF-8"));
        assertTrue(LocalObjectStorage.decodesFileNamesAsUtf8("utf8"));
        assertFalse(LocalObjectStorage.decodesFileNamesAsUtf8("ANSI_X3.4-1968"));
        assertFalse(LocalObjectStorage.decodesFileNamesAsUtf8(null));
    }

    @Test
    void describesTheRoot() {
        assertEquals("local:" + root.toAbsolutePath(), storage.describe());
    }
}
