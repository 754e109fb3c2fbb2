package dify.reconciler.run;

import static dify.reconciler.catalog.FindingKind.DECLARATION_UNREFERENCED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.detect.FindingSink;
import dify.reconciler.run.DriftFixture.Store;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.DifyPackageBuilder;
import dify.reconciler.testsupport.SchemaFixture;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A declaration whose JSON is blank, null or not an object names assets we cannot know. Reading it as "names
 * no asset" would report that package's icons as orphaned (and a cleaner would delete live icons, Dify
 * #20531): the run reports no asset finding at all and says why.
 */
class UnknownDeclarationAssetsTest {

    static Stream<Arguments> unreadableDeclarations() {
        return Stream.of(Store.values()).flatMap(store -> Stream.of("", "   ", null, "null", "[]")
                .map(json -> Arguments.of(store, json)));
    }

    @ParameterizedTest
    @MethodSource("unreadableDeclarations")
    void aBlankOrNullDeclarationMeansItsAssetsAreUnknown(Store store, String json) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            byte[] icon = "<svg>u</svg>".getBytes(StandardCharsets.UTF_8);
            BuiltPackage pkg = DifyPackageBuilder.aPackage().author("acme").name("uploaded").version("0.2.0")
                    .icon("icon.svg", icon).build();
            f.put("assets/" + BuiltPackage.assetId("icon.svg", icon), icon);
            f.put("plugin_packages/" + pkg.identifier(), pkg.bytes());
            f.rows.insertDeclaration(pkg.identifier(), "acme/uploaded", json);

            FindingSink sink = f.scan(false);

            assertEquals(Map.of(DECLARATION_UNREFERENCED, 1L), DriftFixture.counts(sink), () -> "findings: " + sink.findings());
            assertTrue(sink.notes().stream().anyMatch(n -> n.contains("the assets it names are unknown")
                    && n.contains("asset findings are not reported")), () -> "notes: " + sink.notes());
        }
    }
}
