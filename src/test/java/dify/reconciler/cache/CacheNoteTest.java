package dify.reconciler.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CacheNoteTest {

    private static final String STALE = "the daemon may serve the old value for up to 30 minutes";

    @Test
    void saysTheOldValueMayBeServedWhenNothingWasCleared() {
        String n = CacheNote.notConfigured(3, false, "no Redis settings: REDIS_HOST is not set");
        assertEquals("not cleared (no Redis settings: REDIS_HOST is not set): 3 cached key(s) may be stale; " + STALE, n);
        String failed = CacheNote.bothPasses(2, CacheNote.Pass.failed("Connection refused"), new CacheNote.Pass(1, 1, null),
                Duration.ofSeconds(5), false);
        assertTrue(failed.startsWith("clearing 2 cached key(s) failed (Connection refused); again after 5000 ms: 1 deleted"), failed);
        assertTrue(failed.contains(STALE), failed);
    }

    @Test
    void aClearedActionDoesNotWarnButADeclarationNamesTheRestart() {
        String ok = CacheNote.bothPasses(3, new CacheNote.Pass(1, 2, null), new CacheNote.Pass(0, 3, null), Duration.ofSeconds(5),
                false);
        assertEquals("cleared 3 cached key(s): 1 deleted, 2 not cached; again after 5000 ms: 0 deleted", ok);
        String declaration = CacheNote.firstPass(3, new CacheNote.Pass(3, 0, null), true);
        assertFalse(declaration.contains(STALE), declaration);
        assertTrue(declaration.contains("restart the daemon to make this change effective at once"), declaration);
    }
}
