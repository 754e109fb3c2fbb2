package dify.reconciler.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.detect.FindingSink;
import dify.reconciler.inventory.storage.LocalObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Objects a listing names but the bucket no longer holds (a read finds nothing, a HEAD too) are not verified and say so
 * in one note, however many: their count and the first few keys, not a note each (an inventory report hours old may list
 * thousands deleted since).
 */
class DeepVerifierGoneObjectsTest {

    private static final Instant LISTED = Instant.parse("2026-12-07T05:00:00Z");

    @TempDir
    Path root;

    @Test
    void manyObjectsGoneSinceTheListingAreOneNoteWithTheirCountAndTheFirstKeys() {
        List<StoredObject> packages = objects("plugin_packages/", 40);
        List<StoredObject> installed = objects("plugin/", 3);
        FindingSink sink = new FindingSink(100);

        new DeepVerifier(new LocalObjectStorage(root), sink).verify("plugin_packages/", packages, "plugin/", installed);

        assertEquals(1, sink.notes().size(), sink.notes()::toString);
        String note = sink.notes().get(0);
        assertTrue(note.startsWith("43 object(s) not verified, each gone since it was listed"), note);
        packages.subList(0, DeepVerifier.GONE_KEYS_SHOWN).forEach(o -> assertTrue(note.contains("'" + o.key() + "'"), note));
        assertFalse(note.contains(packages.get(DeepVerifier.GONE_KEYS_SHOWN).key()), note);
        assertTrue(note.contains("…"), "says there are more: " + note);
        assertEquals(0, sink.packagesUnverified(), "gone is not unverifiable");
        assertEquals(List.of(), sink.findings());
    }

    @Test
    void oneObjectGoneIsNamedWithoutAnEllipsis() {
        FindingSink sink = new FindingSink(100);
        List<StoredObject> one = objects("plugin_packages/", 1);

        new DeepVerifier(new LocalObjectStorage(root), sink).verify("plugin_packages/", one, "plugin/", List.of());

        assertEquals(List.of("1 object(s) not verified, each gone since it was listed (a read found nothing, and so did a HEAD): '"
                + one.get(0).key() + "'; the next listing shows them as they are"), sink.notes());
    }

    private static List<StoredObject> objects(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> new StoredObject(prefix + String.format("author/p%03d:1.0.0@%064x", i, i),
                100 + i, LISTED)).toList();
    }
}
