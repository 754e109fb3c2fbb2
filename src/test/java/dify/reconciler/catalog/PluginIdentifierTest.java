package dify.reconciler.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PluginIdentifierTest {

    private static final String SUM = "6b2b2e115b1b9d34a63eb26fadcc33d74330fd2ec06071bb30b8a24b1fab107a";

    @ParameterizedTest
    @ValueSource(strings = {
            "langgenius/openai:0.0.19@6b2b2e115b1b9d34a63eb26fadcc33d74330fd2ec06071bb30b8a24b1fab107a",
            "langgenius/tongyi:1.0.0@a2dd9bb656a2722292e8936f3287d53ba176cfbbe9b8bfafc596d4a2ddd99eb2",
            "langgenius/bedrock:0.0.9@4484b4097187376df28408110fa951c64a18588689746ed4eefc4ee4dc3ec9f2",
            "langgenius/siliconflow:0.0.37@8a4c4aeaa7dbfef5c0c1d6239f6243b3fb784dfaa88ddca4df19046244bca08a",
            "langgenius/openai_api_compatible:0.0.21@f46f21a207621f8ec5e5ef250e118a23d479c7a6ae2fe690823bae9d49d015fa",
            "langgenius/github:0.3.2@1cb2f90ea05bbc7987fd712aff0a07594073816269125603dc2fa5b4229eb122",
            "langgenius/agent:0.0.14@26958a0e80a10655ce73812bdb7c35a66ce7b16f5ac346d298bda17ff85efd1e",
            // no author; two version parts; a 32-hex checksum; a pre-release suffix (allowed by the regex)
            "solo:1.0@0123456789abcdef0123456789abcdef",
            "langgenius/email:0.0.7-beta1@6c3856490275f3440619fabfdc54f3bd29bad8959e29996452277b9c3b0c5e9b",
            // a remote (debugging) plugin from a daemon before 0.6.1: the author is the tenant's UUID
            "7d5c3f2e-1b0a-4c3e-9f1a-2b3c4d5e6f70/demo:0.0.1@6b2b2e115b1b9d34a63eb26fadcc33d74330fd2ec06071bb30b8a24b1fab107a",
    })
    void acceptsWhatTheDaemonAccepts(String uid) {
        assertTrue(PluginIdentifier.isValid(uid), uid);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "langgenius/email_0.0.7@6c3856490275f3440619fabfdc54f3bd29bad8959e29996452277b9c3b0c5e9b", // colon lost
            "/junjiem/mcp_see_agent:0.2.2@2b54607cf4d6a03b39cdae1425af2d8bafd4dd87f3eef6dc3eaaa945c71c2231", // leading slash
            "langgenius/openai\uFF1A0.0.19@" + SUM, // FULLWIDTH COLON
            "langgenius/openai\uF03A0.0.19@" + SUM, // private-use colon some filesystems write
            "langgenius/openai_0.0.19@" + SUM, // colon replaced by underscore
            "langgenius\\openai:0.0.19@" + SUM, // Windows separator
            "LangGenius/openai:0.0.19@" + SUM, // upper case author
            "langgenius/openai:0.0.19@" + "6B2B2E115B1B9D34A63EB26FADCC33D74330FD2EC06071BB30B8A24B1FAB107A", // upper case sum
            "",
            "langgenius/openai:0.0.19.1.2@" + SUM, // more than four version parts
            "langgenius/openai:0.0.19-beta1-rc@" + SUM, // hyphen inside the suffix
            "langgenius/openai:0.0.19@0123456789abcdef", // checksum too short
            "langgenius/openai:0.0.19", // no checksum
            "plugin/", // the folder placeholder
            "a/b/c:0.0.1@" + SUM, // one slash too many
    })
    void rejectsWhatTheDaemonRejects(String uid) {
        assertFalse(PluginIdentifier.isValid(uid), uid);
    }

    @Test
    void acceptsFourVersionPartsButNotFive() {
        assertTrue(PluginIdentifier.isValid("langgenius/openai:0.0.19.1@" + SUM));
        assertFalse(PluginIdentifier.isValid("langgenius/openai:0.0.19.1.2@" + SUM));
    }

    @Test
    void rejectsNull() {
        assertFalse(PluginIdentifier.isValid(null));
    }

    @Test
    void takesThePluginIdFromBeforeTheColon() {
        assertEquals("langgenius/openai", PluginIdentifier.pluginIdOf("langgenius/openai:0.0.19@" + SUM));
        assertEquals("solo", PluginIdentifier.pluginIdOf("solo:1.0.0@" + SUM));
        assertEquals("langgenius/email_0.0.7", PluginIdentifier.pluginIdOf("langgenius/email_0.0.7@" + SUM));
        assertNull(PluginIdentifier.pluginIdOf(null));
    }

    @Test
    void buildsIdentifiersWithAndWithoutAuthor() {
        assertEquals("langgenius/openai:0.0.19@" + SUM, PluginIdentifier.of("langgenius", "openai", "0.0.19", SUM));
        assertEquals("openai:0.0.19@" + SUM, PluginIdentifier.of(null, "openai", "0.0.19", SUM));
        assertEquals("openai:0.0.19@" + SUM, PluginIdentifier.of("", "openai", "0.0.19", SUM));
    }
}
