package dify.reconciler.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeyOrderTest {

    private static final String FULLWIDTH_COLON = "\uFF1A";
    private static final String EMOJI = "\uD83D\uDE00"; // U+1F600, a surrogate pair in UTF-16

    @Test
    void putsACharacterAboveFfffAfterFullwidthColonWhereCompareToGetsItWrong() {
        String a = "plugin/langgenius/openai" + FULLWIDTH_COLON + "0.0.1";
        String b = "plugin/langgenius/openai" + EMOJI + "0.0.1";

        assertTrue(KeyOrder.compare(a, b) < 0);
        assertTrue(KeyOrder.compare(b, a) > 0);
        assertTrue(a.compareTo(b) > 0, "String.compareTo compares UTF-16 units and disagrees");
    }

    @Test
    void sortsExactlyLikeUtf8Bytes() {
        List<String> keys = new ArrayList<>(List.of("plugin/", "plugin/a", "plugin/a:1", "plugin/a" + FULLWIDTH_COLON,
                "plugin/a" + EMOJI, "plugin/a\uF03A", "plugin/a_", "plugin/\u00E9", "plugin/a/b", "plugin/A", "plugin",
                "plugin/a\u007F", "plugin/a\u0080"));
        List<String> byBytes = new ArrayList<>(keys);
        byBytes.sort((x, y) -> Arrays.compareUnsigned(x.getBytes(StandardCharsets.UTF_8), y.getBytes(StandardCharsets.UTF_8)));

        keys.sort(KeyOrder.COMPARATOR);

        assertEquals(byBytes, keys);
    }

    @Test
    void putsAPrefixFirst() {
        assertTrue(KeyOrder.compare("plugin/", "plugin/a") < 0);
        assertTrue(KeyOrder.compare("plugin/a", "plugin/") > 0);
        assertTrue(KeyOrder.compare("a", "a" + EMOJI) < 0);
        assertTrue(KeyOrder.compare("", "a") < 0);
    }

    @Test
    void findsEqualKeysEqual() {
        assertEquals(0, KeyOrder.compare("a" + EMOJI + "b", "a" + EMOJI + "b"));
        assertEquals(0, KeyOrder.compare("", ""));
    }
}
