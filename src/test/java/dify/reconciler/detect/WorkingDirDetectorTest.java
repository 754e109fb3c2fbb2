package dify.reconciler.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.inventory.PluginRow;
import dify.reconciler.inventory.workdir.WorkingPath;
import dify.reconciler.testsupport.DaemonWorkingPath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The working path of one daemon node, laid out in a real folder exactly as the daemon lays it out, with real links:
 * installed plugins with usable environments next to look-alikes one file away from broken, an orphan that differs
 * from an installed folder only in its checksum, a young orphan, and entries that are not plugin folders. The exact
 * set of findings is asserted.
 */
class WorkingDirDetectorTest {

    private static final Instant OLD = Instant.now().minus(Duration.ofDays(3));
    private static final GraceWindow GRACE = new GraceWindow(Instant.now().minus(Duration.ofHours(1)));

    private static final String OPENAI = "langgenius/openai:0.0.19@6b2b2e115b1b9d34a63eb26fadcc33d74330fd2ec06071bb30b8a24b1fab107a";
    private static final String OPENAI_OTHER_CHECKSUM = "langgenius/openai:0.0.19@6b2b2e115b1b9d34a63eb26fadcc33d74330fd2ec06071bb30b8a24b1fab107b";
    private static final String TONGYI = "langgenius/tongyi:1.0.0@a2dd9bb656a2722292e8936f3287d53ba176cfbbe9b8bfafc596d4a2ddd99eb2";
    private static final String BEDROCK = "langgenius/bedrock:0.0.9@4484b4097187376df28408110fa951c64a18588689746ed4eefc4ee4dc3ec9f2";
    private static final String SILICONFLOW = "langgenius/siliconflow:0.0.37@8a4c4aeaa7dbfef5c0c1d6239f6243b3fb784dfaa88ddca4df19046244bca08a";
    private static final String GITHUB = "langgenius/github:0.3.2@1cb2f90ea05bbc7987fd712aff0a07594073816269125603dc2fa5b4229eb122";
    private static final String COMPATIBLE = "langgenius/openai_api_compatible:0.0.21@f46f21a207621f8ec5e5ef250e118a23d479c7a6ae2fe690823bae9d49d015fa";
    private static final String NO_AUTHOR = "local_tool:1.0.0-beta@26958a0e80a10655ce73812bdb7c35a66ce7b16f5ac346d298bda17ff85efd1e";
    private static final String SERVERLESS = "langgenius/email:0.0.7@6c3856490275f3440619fabfdc54f3bd29bad8959e29996452277b9c3b0c5e9b";
    private static final String NOT_BUILT = "junjiem/mcp_see_agent:0.2.2@2b54607cf4d6a03b39cdae1425af2d8bafd4dd87f3eef6dc3eaaa945c71c2231";
    private static final String YOUNG_ORPHAN = "langgenius/agent:0.0.14@26958a0e80a10655ce73812bdb7c35a66ce7b16f5ac346d298bda17ff85efd1e";

    @TempDir
    Path root;

    private static PluginRow plugin(String uid, String installType) {
        return new PluginRow(uid.substring(uid.indexOf('@') + 1, uid.indexOf('@') + 9), uid, uid.substring(0, uid.indexOf(':')), 1,
                installType, OLD, List.of());
    }

    private static final List<PluginRow> PLUGINS = List.of(plugin(OPENAI, "local"), plugin(TONGYI, "local"), plugin(BEDROCK, "local"),
            plugin(SILICONFLOW, "local"), plugin(GITHUB, "local"), plugin(COMPATIBLE, "local"), plugin(NO_AUTHOR, "local"),
            plugin(SERVERLESS, "serverless"), plugin(NOT_BUILT, "local"));

    private record Outcome(FindingSink sink, WorkingDirDetector detector, WorkingPath path) {
        Map<String, FindingKind> findings() {
            return sink.findings().stream().collect(Collectors.toMap(Finding::pluginUniqueIdentifier, Finding::kind, (a, b) -> a,
                    TreeMap::new));
        }

        Finding of(String uid) {
            return sink.findings().stream().filter(f -> f.pluginUniqueIdentifier().equals(uid)).findFirst().orElseThrow();
        }
    }

    private Outcome scan() throws IOException {
        FindingSink sink = new FindingSink(100);
        WorkingDirDetector detector = new WorkingDirDetector(PLUGINS, "plugin-daemon-7c9f-x2k4", GRACE, sink);
        WorkingPath path = new WorkingPath(root);
        path.forEachPluginFolder(detector::inspect);
        return new Outcome(sink, detector, path);
    }

    @Test
    void findsExactlyTheOrphanAndTheBrokenEnvironmentsAmongLookAlikes(@TempDir Path elsewhere) throws IOException {
        DaemonWorkingPath daemon = new DaemonWorkingPath(root);
        daemon.installedOnTheImagesPython(OPENAI, "requirements.txt");
        daemon.installedSelfContained(TONGYI);
        // One file away from TONGYI: the standard library's encodings package is gone ("No module named 'encodings'").
        Path bedrock = daemon.installedSelfContained(BEDROCK);
        daemon.delete(bedrock.resolve(".venv/lib/python3.12/encodings/__init__.py"));
        daemon.delete(bedrock.resolve(".venv/lib/python3.12/encodings/utf_8.py"));
        Files.delete(bedrock.resolve(".venv/lib/python3.12/encodings"));
        // One file away from TONGYI: the interpreter the link names is gone, so bin/python dangles.
        Path siliconflow = daemon.installedSelfContained(SILICONFLOW);
        daemon.delete(siliconflow.resolve(".venv/bin/python3.12"));
        // One file away from COMPATIBLE: neither pyproject.toml nor requirements.txt.
        daemon.installedOnTheImagesPython(GITHUB, null);
        daemon.installedOnTheImagesPython(COMPATIBLE, "pyproject.toml");
        daemon.installedSelfContained(NO_AUTHOR);
        // Not a local plugin: its folder is not judged, however it looks.
        daemon.extracted(SERVERLESS, null);
        // Extracted, environment not built yet: the daemon builds it at launch.
        daemon.extracted(NOT_BUILT, "requirements.txt");
        // Differs from OPENAI only in the checksum's last digit: no plugins row.
        long before = daemon.bytesWritten();
        daemon.installedOnTheImagesPython(OPENAI_OTHER_CHECKSUM, "requirements.txt");
        long orphanBytes = daemon.bytesWritten() - before;
        // Not plugin folders: a file, a dot folder, a link to a folder outside (never followed) and an unparsable name.
        daemon.write(root.resolve("README"), "cwd\n");
        Files.createDirectories(root.resolve(".uv-cache/wheels"));
        daemon.installedOnTheImagesPython("langgenius/outside:1.0.0@" + "0".repeat(64), null);
        Files.move(root.resolve("langgenius/outside-1.0.0@" + "0".repeat(64)), elsewhere.resolve("outside"));
        DaemonWorkingPath.link(root.resolve("langgenius/outside-1.0.0@" + "0".repeat(64)), elsewhere.resolve("outside"));
        Files.createDirectories(root.resolve("langgenius/openai-latest"));
        daemon.ageAll(OLD);
        // A young orphan: an install in flight extracts the folder before the plugins row exists.
        daemon.installedOnTheImagesPython(YOUNG_ORPHAN, "requirements.txt");

        Outcome outcome = scan();

        Map<String, FindingKind> expected = new TreeMap<>(Map.of(OPENAI_OTHER_CHECKSUM, FindingKind.WORKING_DIR_ORPHANED, BEDROCK,
                FindingKind.WORKING_DIR_BROKEN, SILICONFLOW, FindingKind.WORKING_DIR_BROKEN, GITHUB, FindingKind.WORKING_DIR_BROKEN));
        assertEquals(expected, outcome.findings(), () -> "findings: " + outcome.sink().findings());
        assertEquals(4, outcome.sink().total());

        Finding orphan = outcome.of(OPENAI_OTHER_CHECKSUM);
        assertEquals(orphanBytes, orphan.bytes());
        assertEquals(orphanBytes, outcome.detector().orphanedBytes());
        assertEquals(Map.of(FindingKind.WORKING_DIR_ORPHANED, orphanBytes), outcome.sink().bytesByKind());
        assertEquals("langgenius/openai-0.0.19@6b2b2e115b1b9d34a63eb26fadcc33d74330fd2ec06071bb30b8a24b1fab107b", orphan.key());
        assertTrue(orphan.detail().contains("on node plugin-daemon-7c9f-x2k4"), orphan.detail());
        assertTrue(orphan.detail().contains("no plugins row"), orphan.detail());

        String bedrockDetail = outcome.of(BEDROCK).detail();
        assertTrue(bedrockDetail.contains("No module named 'encodings'"), bedrockDetail);
        assertTrue(bedrockDetail.contains(".venv/lib/python3.12/encodings does not exist"), bedrockDetail);
        String siliconflowDetail = outcome.of(SILICONFLOW).detail();
        assertTrue(siliconflowDetail.contains(".venv/bin/python leads to langgenius/siliconflow-0.0.37@"), siliconflowDetail);
        assertTrue(siliconflowDetail.contains("/.venv/bin/python3.12, which does not exist"), siliconflowDetail);
        assertTrue(outcome.of(GITHUB).detail().contains("neither pyproject.toml nor requirements.txt"), outcome.of(GITHUB).detail());
        assertTrue(!bedrockDetail.contains("python3.12, which does not exist") && !siliconflowDetail.contains("encodings"),
                "each broken folder names only its own problem");

        // 11 plugin folders (the young orphan included); README, .uv-cache, the link and openai-latest not judged.
        assertEquals(11, outcome.path().pluginFolders());
        assertEquals(4, outcome.path().unrecognizedEntries());
        assertEquals(1, outcome.detector().inGrace());
        assertEquals(1, outcome.sink().objectsInGrace());
        // OPENAI, GITHUB and COMPATIBLE run on the image's /usr/bin/python3.12: not followed, not judged.
        assertEquals(3, outcome.detector().notFollowed());
    }

    @Test
    void anEnvironmentMissingOnlyTheDaemonsMarkerIsBroken() throws IOException {
        DaemonWorkingPath daemon = new DaemonWorkingPath(root);
        daemon.installedSelfContained(TONGYI);
        Path unfinished = daemon.installedSelfContained(BEDROCK);
        daemon.delete(unfinished.resolve(".venv/dify/plugin.json"));
        daemon.ageAll(OLD);

        Outcome outcome = scan();

        assertEquals(Map.of(BEDROCK, FindingKind.WORKING_DIR_BROKEN), outcome.findings());
        assertTrue(outcome.of(BEDROCK).detail().contains(".venv/dify/plugin.json is missing"), outcome.of(BEDROCK).detail());
    }

    @Test
    void aLinkOutOfTheWorkingPathIsNeverFollowed(@TempDir Path elsewhere) throws IOException {
        // The interpreter link leaves the working path and comes back to a missing file: judged only up to the exit.
        DaemonWorkingPath daemon = new DaemonWorkingPath(root);
        Path tongyi = daemon.installedSelfContained(TONGYI);
        Files.delete(tongyi.resolve(".venv/bin/python"));
        DaemonWorkingPath.link(elsewhere.resolve("python"), tongyi.resolve(".venv/bin/missing-python"));
        DaemonWorkingPath.link(tongyi.resolve(".venv/bin/python"), elsewhere.resolve("python"));
        daemon.ageAll(OLD);

        Outcome outcome = scan();

        assertEquals(Map.of(), outcome.findings(), () -> "findings: " + outcome.sink().findings());
        assertEquals(1, outcome.detector().notFollowed());
    }

    @Test
    void aWorkingPathThatCannotBeReadFailsInsteadOfLookingClean() throws IOException {
        IOException missing = assertThrows(IOException.class, () -> new WorkingPath(root.resolve("cwd"))
                .forEachPluginFolder(folder -> {}));
        assertTrue(missing.getMessage().contains(root.resolve("cwd") + " does not exist"), missing.getMessage());
        Files.writeString(root.resolve("cwd"), "not a folder");
        IOException file = assertThrows(IOException.class, () -> new WorkingPath(root.resolve("cwd"))
                .forEachPluginFolder(folder -> {}));
        assertTrue(file.getMessage().contains("is not a directory"), file.getMessage());
    }
}
