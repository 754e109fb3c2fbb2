package dify.reconciler.remediate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.remediate.record.QuarantinePrefix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QuarantinePrefixTest {

    @ParameterizedTest
    @ValueSource(strings = {"reconciler-quarantine/", "ops/quarantine/", "x/"})
    void acceptsRelativePrefixesOutsideEveryDaemonPrefix(String setting) {
        QuarantinePrefix p = QuarantinePrefix.of(setting, StorageLayout.DEFAULT);
        assertEquals(setting + "plugin/a/b:1@c", p.keyFor("plugin/a/b:1@c"), "the original key is the suffix");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "reconciler-quarantine", "/reconciler-quarantine/", "a//b/", "a/../b/", "./q/",
            "a\\b/", " q/", "plugin_reconciler/", "plugin/", "plugin_packages/old/", "pluginx/", "assets-old/",
            "persistence/q/", ".reconciler-tmp/"})
    void refusesAnythingElseNamingTheSetting(String setting) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QuarantinePrefix.of(setting, StorageLayout.DEFAULT));
        assertTrue(e.getMessage().startsWith("reconciler.remediation.quarantine-prefix='"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"data/", "data/plugin_q/"})
    void refusesAPrefixThatADaemonPrefixStartsWithOrThatStartsWithOne(String setting) {
        StorageLayout nested = StorageLayout.of("data/plugin_packages", "data/plugin", "data/assets", "data/persistence");
        assertThrows(IllegalArgumentException.class, () -> QuarantinePrefix.of(setting, nested));
        assertEquals("quarantine/", QuarantinePrefix.of("quarantine/", nested).value());
    }
}
