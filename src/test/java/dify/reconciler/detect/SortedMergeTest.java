package dify.reconciler.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class SortedMergeTest {

    private static List<String> join(List<String> left, List<String> right) {
        List<String> out = new ArrayList<>();
        SortedMerge.join("left", left.iterator(), Function.identity(), "right", right.iterator(), Function.identity(),
                (key, l, r) -> out.add(key + " " + l.size() + "/" + r.size()));
        return out;
    }

    @Test
    void pairsEqualKeysAndKeepsOneSidedKeysInOrder() {
        assertEquals(List.of("a 1/0", "b 1/1", "c 0/1", "d 1/0"), join(List.of("a", "b", "d"), List.of("b", "c")));
    }

    @Test
    void groupsDuplicatesOnEitherSide() {
        assertEquals(List.of("a 2/1", "b 0/3"), join(List.of("a", "a"), List.of("a", "b", "b", "b")));
    }

    @Test
    void handlesEmptySides() {
        assertEquals(List.of(), join(List.of(), List.of()));
        assertEquals(List.of("x 0/1"), join(List.of(), List.of("x")));
        assertEquals(List.of("x 1/0"), join(List.of("x"), List.of()));
    }

    @Test
    void failsLoudlyOnUnsortedInput() {
        SortedMerge.UnsortedInputException e = assertThrows(SortedMerge.UnsortedInputException.class,
                () -> join(List.of("b", "a"), List.of()));
        assertTrue(e.getMessage().contains("left is not sorted"), e.getMessage());
        assertThrows(SortedMerge.UnsortedInputException.class, () -> join(List.of(), List.of("z", "y")));
    }

    @Test
    void ordersByCodePointsNotUtf16Units() {
        // U+1F600 (an emoji, a surrogate pair in UTF-16) sorts after U+FF1A in UTF-8 byte order,
        // although String.compareTo puts it first. A merge with the wrong order would throw here.
        String fullwidthColon = "plugin/a\uFF1A1";
        String emoji = "plugin/a\uD83D\uDE00";
        assertTrue(fullwidthColon.compareTo(emoji) > 0, "precondition: UTF-16 order differs");
        assertEquals(List.of(fullwidthColon + " 1/1", emoji + " 1/0"),
                join(List.of(fullwidthColon, emoji), List.of(fullwidthColon)));
    }

    @Test
    void neverNormalisesUnicode() {
        // A precomposed and a decomposed e-acute are different keys (bytes differ), and "e" + U+0301 sorts first.
        assertEquals(List.of("plugin/cafe\u0301 0/1", "plugin/caf\u00e9 1/0"),
                join(List.of("plugin/caf\u00e9"), List.of("plugin/cafe\u0301")));
    }
}
