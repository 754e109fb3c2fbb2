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

    @Test
    void namesTheIconOfABuiltPackageTheWayTheDaemonDoes() {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G'};
        DifyPackageBuilder builder = DifyPackageBuilder.aPackage().icon("logo.png", png);
        String expected = BuiltPackage.assetId("logo.png", png);

        assertEquals(expected, builder.iconAssetId());
        assertTrue(AssetReferences.isAssetId(expected));
        assertTrue(expected.endsWith(".png"));
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
