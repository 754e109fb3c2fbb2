package dify.reconciler.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dify.reconciler.testsupport.FolderKeys.Unholdable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FolderKeysTest {

    @Test
    void namesWhyAKeyCannotBeAFilePath() {
        assertEquals(Optional.empty(), FolderKeys.LOCAL.unholdable("plugin/a b\u0001\uFF1A/\uD83D\uDE00:1.0@x"));
        assertEquals(Optional.of(Unholdable.NUL), FolderKeys.LOCAL.unholdable("plugin/a\0b"));
        // A prefix of an earlier key cut inside a surrogate pair (HostileInput does that).
        assertEquals(Optional.of(Unholdable.BROKEN_UTF16), FolderKeys.LOCAL.unholdable("plugin/a\uD83D"));
        assertEquals(Optional.empty(), FolderKeys.LOCAL.unholdable("plugin/" + "é".repeat(127))); // 254 bytes
        assertEquals(Optional.of(Unholdable.LONG_SEGMENT), FolderKeys.LOCAL.unholdable("plugin/" + "é".repeat(128))); // 256 bytes
        assertEquals(Optional.empty(), FolderKeys.LOCAL.unholdable("plugin/" + "x".repeat(255)));
        assertEquals(Optional.of(Unholdable.DOT_SEGMENT), FolderKeys.LOCAL.unholdable("plugin/../x"));
        assertEquals(Optional.of(Unholdable.DOT_SEGMENT), FolderKeys.LOCAL.unholdable("plugin/."));
        assertEquals(Optional.empty(), FolderKeys.LOCAL.unholdable("plugin/.../..x/.x"));
        assertEquals(Optional.of(Unholdable.EMPTY_SEGMENT), FolderKeys.LOCAL.unholdable("plugin//x"));
        assertEquals(Optional.of(Unholdable.EMPTY_SEGMENT), FolderKeys.LOCAL.unholdable("plugin/"));
        assertEquals(Optional.of(Unholdable.EMPTY_SEGMENT), FolderKeys.LOCAL.unholdable("/plugin"));
    }

    @Test
    void s3ProxysBackendHoldsShorterObjectNamesThanFolderNames() {
        assertEquals(Optional.empty(), FolderKeys.S3PROXY.unholdable("plugin/" + "x".repeat(218)));
        assertEquals(Optional.of(Unholdable.LONG_SEGMENT), FolderKeys.S3PROXY.unholdable("plugin/" + "x".repeat(219)));
        assertEquals(Optional.empty(), FolderKeys.S3PROXY.unholdable("plugin/" + "x".repeat(255) + "/y"));
        assertEquals(Optional.of(Unholdable.LONG_SEGMENT), FolderKeys.S3PROXY.unholdable("plugin/" + "x".repeat(256) + "/y"));
    }

    @Test
    void dropsTheFolderOfAnotherKeyAndWhatClashesWithPresentKeys() {
        FolderKeys.Selection s = FolderKeys.LOCAL.select(List.of("a", "a/b", "a/b/c", "a-b", "p/q", "x/y/z", "ok", "bad/./x"),
                Set.of("p", "x/y"));
        assertEquals(List.of("a/b/c", "a-b", "ok"), s.kept());
        assertEquals(Map.of("a", Unholdable.FILE_AND_FOLDER, "a/b", Unholdable.FILE_AND_FOLDER, "p/q", Unholdable.FILE_AND_FOLDER,
                "x/y/z", Unholdable.FILE_AND_FOLDER, "bad/./x", Unholdable.DOT_SEGMENT), s.dropped());
        assertEquals(4, s.droppedByReason().get(Unholdable.FILE_AND_FOLDER));
        assertEquals(0, s.droppedByReason().get(Unholdable.NUL));
    }
}
