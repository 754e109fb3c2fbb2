package dify.reconciler.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.GlobalTenant;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.inventory.DuplicateGroup;
import dify.reconciler.inventory.InstallationRow;
import dify.reconciler.inventory.PluginRow;
import dify.reconciler.inventory.TableRow;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RowDetectorTest {

    private static final Instant OLD = Instant.parse("2026-01-01T00:00:00Z");
    private static final GraceWindow GRACE = new GraceWindow(Instant.parse("2026-06-01T00:00:00Z"));
    private static final String A = "langgenius/openai:0.0.19@6b2b2e115b1b9d34a63eb26fadcc33d74330fd2ec06071bb30b8a24b1fab107a";

    private final FindingSink sink = new FindingSink(10);
    private final RowDetector detector = new RowDetector(GRACE, sink,
            new DatabaseConsistencyDetector.Knowledge(Set.of(), Set.of()));

    @Test
    void carriesTheChangeTimeOfEachRowItReports() {
        detector.installation(new InstallationRow("i1", "t1", "langgenius/openai", A, "local", OLD.plusSeconds(1)));
        detector.invalidIdentifier(new TableRow("tool_installations", "c1", "t1", "x/y", "broken", OLD.plusSeconds(2), null));
        detector.orphanedCategoryRow(new TableRow("tool_installations", "c2", "t1", "x/y", A, OLD.plusSeconds(3), "provider p"));
        detector.orphanedEndpoint(new TableRow("endpoints", "e1", "t1", "x/y", null, OLD.plusSeconds(4), "hook_id h"));
        detector.stuckInstallTask(new TableRow("install_tasks", "k1", "t1", null, null, OLD.plusSeconds(5), "status 'pending'"));

        // The sink lists criticals first, so compare as a sorted list of "id at change time".
        assertEquals(List.of("c1@" + OLD.plusSeconds(2), "c2@" + OLD.plusSeconds(3), "e1@" + OLD.plusSeconds(4),
                "i1@" + OLD.plusSeconds(1), "i1@" + OLD.plusSeconds(1), "k1@" + OLD.plusSeconds(5)),
                sink.findings().stream().map(f -> f.id() + "@" + f.observed().changedAt()).sorted().toList());
        sink.findings().forEach(f -> assertEquals(ObservedVersion.row(f.observed().changedAt()), f.observed()));
    }

    @Test
    void carriesNoVersionForAGroupOfDuplicatesAggregatedInPostgres() {
        detector.duplicates(new DuplicateGroup("plugins", "plugin_unique_identifier " + A, A, "langgenius/openai", null, 2,
                List.of("p1", "p2")));

        Finding f = sink.findings().get(0);
        assertEquals(FindingKind.DUPLICATE_ROWS, f.kind());
        assertNull(f.observed());
    }

    @Test
    void aLegacyGlobalInstallationSaysWhatItKeepsAliveAndAYoungOneIsLeftToTheTally() {
        String global = GlobalTenant.ID;
        detector.legacyGlobalInstallation(new InstallationRow("g1", global, "langgenius/openai", A, "local", OLD),
                new PluginRow("p1", A, "langgenius/openai", 2, "local", OLD, List.of()));
        detector.legacyGlobalInstallation(new InstallationRow("g2", global, "langgenius/gone", A, "serverless", OLD), null);
        // Inside the grace period: not judged, and not counted again (the tally's young rows count it already).
        detector.legacyGlobalInstallation(new InstallationRow("g3", global, "langgenius/new", A, "serverless",
                GRACE.cutoff().plusSeconds(1)), null);

        assertEquals(List.of("g1", "g2"), sink.findings().stream().map(Finding::id).sorted().toList());
        assertEquals(0, sink.rowsInGrace());
        Finding local = sink.findings().stream().filter(f -> f.id().equals("g1")).findFirst().orElseThrow();
        assertEquals(FindingKind.LEGACY_GLOBAL_INSTALLATION, local.kind());
        assertEquals(global, local.tenantId());
        assertTrue(local.detail().contains("it keeps refers at 2, so the daemon never deletes the plugins row, the"
                + " declaration and plugin/" + A + " (install_type=local)"), local.detail());
        Finding orphan = sink.findings().stream().filter(f -> f.id().equals("g2")).findFirst().orElseThrow();
        assertTrue(orphan.detail().contains("no plugins row exists for it (see installation_plugin_missing)"),
                orphan.detail());
    }
}
