package dify.reconciler.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.testsupport.HostileInput;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Identifiers at the edges of the daemon's rule (property tests over seeded random input): every part at its
 * shortest and longest is accepted, one character more, one outside the alphabet or a look-alike separator
 * is refused, and no string whatsoever (any plane, broken UTF-16) makes the check throw.
 */
class IdentifierEdgesTest {

    private static final String NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-";
    private static final String HEX = "0123456789abcdef";

    @Test
    void partsAtTheirLimitsAreAcceptedAndOneMoreIsRefused() {
        HostileInput.forEachSeed(300, in -> {
            String author = in.pick(List.of("", in.of(NAME_CHARS, 1), in.of(NAME_CHARS, 64), in.of(NAME_CHARS, in.between(1, 64))));
            String name = in.pick(List.of(in.of(NAME_CHARS, 1), in.of(NAME_CHARS, 255), in.of(NAME_CHARS, in.between(1, 255))));
            String version = in.of("0123456789", in.between(1, 4)) + "." + in.of("0123456789", in.between(1, 4))
                    + (in.chance(0.5) ? "." + in.of("0123456789", 4) : "")
                    + (in.chance(0.5) ? "-" + in.of("abcXYZ_09", in.between(1, 16)) : "");
            String checksum = in.of(HEX, in.pick(List.of(32, 64, in.between(32, 64))));
            String uid = PluginIdentifier.of(author, name, version, checksum);

            assertTrue(PluginIdentifier.isValid(uid), uid);
            assertEquals(author.isEmpty() ? name : author + "/" + name, PluginIdentifier.pluginIdOf(uid));
            if (author.length() == 64) {
                assertFalse(PluginIdentifier.isValid(PluginIdentifier.of(author + "a", name, version, checksum)), "author of 65");
            }
            if (name.length() == 255) {
                assertFalse(PluginIdentifier.isValid(PluginIdentifier.of(author, name + "a", version, checksum)), "name of 256");
            }
            if (checksum.length() == 64) {
                assertFalse(PluginIdentifier.isValid(PluginIdentifier.of(author, name, version, checksum + "a")), "checksum of 65");
            }
            if (checksum.length() == 32) {
                assertFalse(PluginIdentifier.isValid(PluginIdentifier.of(author, name, version, checksum.substring(1))), "checksum of 31");
            }
            assertFalse(PluginIdentifier.isValid(PluginIdentifier.of(author, name, version, "g" + checksum.substring(1))),
                    "a checksum outside [a-f0-9]");
            assertFalse(PluginIdentifier.isValid(PluginIdentifier.of(author, name, version, checksum.toUpperCase())
                    + (checksum.matches("[0-9]+") ? "A" : "")), "an upper-case checksum");
            assertFalse(PluginIdentifier.isValid(uid.replace(":", "\uFF1A")), "a look-alike colon");
            assertFalse(PluginIdentifier.isValid(uid + "\n"), "a trailing newline");
            assertFalse(PluginIdentifier.isValid("x/" + uid) && !author.isEmpty(), "two authors");
            assertFalse(PluginIdentifier.isValid(PluginIdentifier.of(author, name, version + ".1.1.1", checksum)), "five version parts");
        });
    }

    @Test
    void anyStringIsJudgedWithoutThrowing() {
        HostileInput.forEachSeed(2000, in -> {
            String anything = in.chance(0.2) ? in.validLookingIdentifier() : in.anyString(300, true);
            if (PluginIdentifier.isValid(anything)) {
                assertTrue(anything.indexOf(':') > 0 && anything.indexOf('@') > anything.indexOf(':'), anything);
            }
            assertTrue(anything.startsWith(PluginIdentifier.pluginIdOf(anything)), "the plugin id is a prefix of the identifier");
        });
    }
}
