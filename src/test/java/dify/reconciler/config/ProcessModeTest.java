package dify.reconciler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@code reconciler.mode} read into the enum: the two values the launcher writes, and nothing else (a value that is
 * neither stops start-up, through the config mapping's converter, instead of silently running as the service).
 */
class ProcessModeTest {

    @Test
    void theLaunchersTwoValuesAndOnlyThoseAreModes() {
        assertEquals(ProcessMode.SERVICE, new ProcessMode.Setting().convert("service"));
        assertEquals(ProcessMode.ONE_SHOT, new ProcessMode.Setting().convert("scan"));
        for (ProcessMode mode : ProcessMode.values()) {
            assertEquals(mode, ProcessMode.fromSetting(mode.setting()), "the launcher writes setting(), the config reads it back");
        }
        for (String wrong : new String[] {"SERVICE", "one-shot", "apply", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProcessMode.fromSetting(wrong));
            assertTrue(e.getMessage().startsWith("reconciler.mode='" + wrong + "' is neither service nor scan"), e.getMessage());
        }
        assertTrue(ProcessMode.ONE_SHOT.oneShot() && !ProcessMode.ONE_SHOT.service());
        assertTrue(ProcessMode.SERVICE.service() && !ProcessMode.SERVICE.oneShot());
    }
}
