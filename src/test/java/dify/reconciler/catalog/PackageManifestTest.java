package dify.reconciler.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dify.reconciler.catalog.InvalidPackageException.Problem;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PackageManifestTest {

    @Test
    void readsTheTopLevelFieldsOfARealManifest() throws Exception {
        String yaml = """
                version: 0.0.14
                type: plugin
                author: "langgenius"
                name: "agent"
                label:
                  en_US: "Dify Agent Strategies"
                  zh_Hans: "Dify Agent 策略"
                icon: icon.svg
                meta:
                  version: 0.0.1
                  runner:
                    name: not-this-one
                """;

        assertEquals(new PackageManifest("langgenius", "agent", "0.0.14", "icon.svg"), parse(yaml));
    }

    @Test
    void understandsQuotesCommentsCrlfAndAByteOrderMark() throws Exception {
        String yaml = "\uFEFF# a comment\r\nauthor: 'it''s'   # trailing\r\nname: \"a\\u0062c\" # c\r\n"
                + "version: 1.2.3 # plain with comment\r\nicon: a#b.svg\r\n";

        assertEquals(new PackageManifest("it's", "abc", "1.2.3", "a#b.svg"), parse(yaml));
    }

    @Test
    void treatsEmptyAndNullValuesAsAbsent() throws Exception {
        assertEquals(new PackageManifest(null, "n", "0.0.1", null), parse("author:\nname: n\nversion: 0.0.1\nicon: ~\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "name: a\nname: b\n",
            "name: |\n  a\n",
            "name: [a]\n",
            "name: a\n  continued\n",
            "name: \"open\n",
            "name: 'x' y\n",
            "name: a: b\n",
            "{name: a}\n",
    })
    void refusesWhatItDoesNotUnderstand(String yaml) {
        InvalidPackageException e = assertThrows(InvalidPackageException.class, () -> parse(yaml));
        assertEquals(Problem.BAD_MANIFEST, e.problem());
    }

    @Test
    void refusesBytesThatAreNotUtf8() {
        assertThrows(InvalidPackageException.class,
                () -> PackageManifest.parse(new byte[] {'n', 'a', 'm', 'e', ':', ' ', (byte) 0xC3}));
    }

    private static PackageManifest parse(String yaml) throws InvalidPackageException {
        return PackageManifest.parse(yaml.getBytes(StandardCharsets.UTF_8));
    }
}
