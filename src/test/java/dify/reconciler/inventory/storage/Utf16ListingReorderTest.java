package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.KeyOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The re-ordering of a UTF-16-ordered listing, on generated listings: pure logic, no server. */
class Utf16ListingReorderTest {

    /** Characters from each range whose order differs between UTF-16 and code points, and the separators around them. */
    private static final String[] ALPHABET = {"a", "b", "/", "-", "\u00e9", "\uD7FF", "\uE000", "\uFF1A", "\uFFFF",
            "\uD800\uDC00", "\uD83D\uDE00", "\uD83D\uDE01", "\uDBFF\uDFFF"};

    private static List<String> reorder(List<String> serverOrder, int window) {
        Iterator<StoredObject> source = serverOrder.stream().map(k -> new StoredObject(k, 0, Instant.EPOCH, "e")).iterator();
        List<String> out = new ArrayList<>();
        new Utf16ListingReorder(source, window, () -> "test listing").forEachRemaining(o -> out.add(o.key()));
        return out;
    }

    @Test
    void anyUtf16OrderedListingComesOutInByteOrder() {
        Random random = new Random(18);
        for (int round = 0; round < 2000; round++) {
            TreeSet<String> keys = new TreeSet<>(); // String order: UTF-16 code units, as Azure lists
            int count = random.nextInt(40);
            for (int i = 0; i < count; i++) {
                StringBuilder key = new StringBuilder();
                for (int n = 1 + random.nextInt(4); n > 0; n--) {
                    key.append(ALPHABET[random.nextInt(ALPHABET.length)]);
                }
                keys.add(key.toString());
            }
            List<String> serverOrder = List.copyOf(keys);
            List<String> byteOrder = serverOrder.stream().sorted(KeyOrder.COMPARATOR).toList();
            assertEquals(byteOrder, reorder(serverOrder, 1000), "from " + serverOrder);
        }
    }

    @Test
    void holdsBackOnlyWhatMustWait() {
        // Nothing differs between the orders: nothing is held beyond the key itself, whatever the window.
        assertEquals(List.of("a", "b/\uFF1A", "c"), reorder(List.of("a", "b/\uFF1A", "c"), 1));
        // Two emoji keys wait for the full-width colon after them: a window of one cannot hold them.
        List<String> utf16 = List.of("x/\uD83D\uDE00a", "x/\uD83D\uDE00b", "x/\uFF1A");
        assertEquals(List.of("x/\uFF1A", "x/\uD83D\uDE00a", "x/\uD83D\uDE00b"), reorder(utf16, 2));
        StorageException e = assertThrows(StorageException.class, () -> reorder(utf16, 1));
        assertTrue(e.getMessage().startsWith("listing of test listing is in UTF-16 code-unit order and more than 1 objects"),
                e.getMessage());
    }

    @Test
    void aListingInNeitherOrderFails() {
        // A hierarchical-namespace account lists folder by folder: "a/b" before "a-c". Neither UTF-16 nor byte order.
        StorageException e = assertThrows(StorageException.class, () -> reorder(List.of("a/b", "a-c"), 10));
        assertTrue(e.getMessage().contains("'a-c' came after 'a/b'") && e.getMessage().contains("hierarchical namespace"),
                e.getMessage());
        assertThrows(StorageException.class, () -> reorder(List.of("a", "a"), 10), "a repeated key");
    }
}
