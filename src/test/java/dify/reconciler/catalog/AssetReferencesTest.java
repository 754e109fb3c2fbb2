package dify.reconciler.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.DifyPackageBuilder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AssetReferencesTest {

    private static final String A = id("a", ".svg");
    private static final String B = id("b", ".png");
    private static final String C = id("c", "");
    private static final String D = id("d", ".svg");
    private static final String E = id("e", ".svg");
    private static final String F = id("f", ".jpeg");
    private static final String G = id("g", ".svg");
    private static final String H = id("h", ".svg");
    private static final String I = id("i", ".svg");
    private static final String J = id("j", ".svg");
    private static final String K = id("k", ".svg");

    @Test
    void findsEveryIconFieldTheDaemonRewrites() {
        String declaration = """
                {"version":"0.0.1","author":"langgenius","name":"demo","icon":"%s","icon_dark":"%s",
                 "label":{"en_US":"%s"},
                 "tool":{"identity":{"author":"a","name":"t","icon":"%s","icon_dark":"%s"},
                         "tools":[{"identity":{"icon":"%s"}}]},
                 "agent_strategy":{"identity":{"icon":"%s"}},
                 "trigger":{"identity":{"icon_dark":"%s"}},
                 "datasource":{"identity":{"icon":"%s"},
                               "datasources":[{"identity":{"icon":"%s"}},{"identity":{"icon":"not-an-asset.svg"}}]},
                 "model":{"icon_small":{"en_US":"%s","zh_Hans":"%s"},"icon_large":{"en_US":"%s"},
                          "icon_small_dark":null,"icon_large_dark":{"pt_BR":"%s"}}}
                """.formatted(A, B, K, C, D, K, E, F, G, H, I, A, J, I);

        // Label and per-tool icons are not rewritten by the daemon, so K is not a reference; A and I count once.
        assertEquals(List.of(A, B, C, D, E, F, G, H, I, J), AssetReferences.extract(declaration));
    }

    @Test
    void skipsValuesThatAreNotAssetIds() {
        String declaration = """
                {"icon":"icon.svg","icon_dark":"","tool":{"identity":{"icon":"https://x/y.svg","icon_dark":42}},
                 "model":{"icon_small":"%s"}}
                """.formatted(A);

        assertEquals(List.of(), AssetReferences.extract(declaration));
    }

    /**
     * The ids the daemon gives uploaded assets, {@code hex(sha256(bytes || fileName)) + filepath.Ext(fileName)},
     * written out literally (computed outside Java, e.g. {@code printf '<svg/>icon.svg' | sha256sum}), so the
     * test helper every other test relies on is checked against the rule and not against itself.
     */
    @ParameterizedTest
    @CsvSource({
            "icon.svg, <svg/>, 21acddfae829fa1f96934f4c3e956931144de514f302edb95e8323e6c84d844b.svg",
            "c, c, 355b1bbfc96725cdce8f4a2708fda310a80e6d13315aec4e5eed2a75fe8032ce",
            "icons/a.b/logo, x, 1b0f5ef2f5a476a6678a39ede43ef279d79d3ee7d664b80573da552dc8f23cae",
            "archive.tar.gz, x, 79849e7d23c771f3b59d9ca496f56df36c0cf82be62e19e8fb96b67f46fa6714.gz"})
    void computesAssetIdsAsTheDaemonDoes(String fileName, String content, String expected) {
        assertEquals(expected, BuiltPackage.assetId(fileName, content.getBytes(StandardCharsets.UTF_8)));
        assertTrue(AssetReferences.isAssetId(expected));
    }

    @Test
    void namesTheIconOfABuiltPackageTheWayTheDaemonDoes() {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G'};
        // printf '\x89PNGlogo.png' | sha256sum
        String expected = "136922c3b4e0b830ea7cc462190d862bbc9cae8a79da40c2eaf58a75d070e0c1.png";

        assertEquals(expected, DifyPackageBuilder.aPackage().icon("logo.png", png).iconAssetId());
        assertEquals(expected, BuiltPackage.assetId("logo.png", png));
        assertEquals(List.of(expected), AssetReferences.extract("{\"icon\":\"" + expected + "\"}"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"icon\":", "not json", "[1,2]", "\"text\"", "", "   "})
    void refusesTextThatIsNotAJsonObject(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AssetReferences.extract(text));
        assertTrue(e.getMessage().startsWith("declaration "), e.getMessage());
    }

    @Test
    void recognisesTheAssetIdShape() {
        String hex = "0123456789abcdef".repeat(4);
        assertTrue(AssetReferences.isAssetId(hex));
        assertTrue(AssetReferences.isAssetId(hex + ".svg"));
        assertTrue(AssetReferences.isAssetId(hex + "."));
        assertFalse(AssetReferences.isAssetId(hex.toUpperCase()));
        assertFalse(AssetReferences.isAssetId(hex.substring(1) + ".svg"));
        assertFalse(AssetReferences.isAssetId(hex + "0.svg"));
        assertFalse(AssetReferences.isAssetId(hex + ".tar.gz"));
        assertFalse(AssetReferences.isAssetId(hex + "/x.svg"));
        assertFalse(AssetReferences.isAssetId("assets/" + hex + ".svg"));
        assertFalse(AssetReferences.isAssetId(null));
    }

    private static String id(String seed, String ext) {
        return BuiltPackage.assetId(seed + ext, seed.getBytes(StandardCharsets.UTF_8));
    }
}
