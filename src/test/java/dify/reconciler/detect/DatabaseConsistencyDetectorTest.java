package dify.reconciler.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.Severity;
import dify.reconciler.inventory.DeclarationRow;
import dify.reconciler.inventory.InstallationTally;
import dify.reconciler.inventory.PluginRow;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DatabaseConsistencyDetectorTest {

    private static final Instant OLD = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant NEW = Instant.parse("2026-08-01T00:00:00Z");
    private static final GraceWindow GRACE = new GraceWindow(Instant.parse("2026-06-01T00:00:00Z"));
    private static final String A = "langgenius/openai:0.0.19@6b2b2e115b1b9d34a63eb26fadcc33d74330fd2ec06071bb30b8a24b1fab107a";
    private static final String B = "langgenius/tongyi:1.0.0@a2dd9bb656a2722292e8936f3287d53ba176cfbbe9b8bfafc596d4a2ddd99eb2";

    private static PluginRow plugin(String uid, long refers, String type, Instant changed) {
        return new PluginRow("p-" + refers + type, uid, "x/y", refers, type, changed, List.of());
    }

    private static DeclarationRow declaration(String uid, Instant changed) {
        return new DeclarationRow("d-" + uid.hashCode(), uid, "x/y", changed, List.of());
    }

    private static Map<String, InstallationTally> tallies(InstallationTally... ts) {
        Map<String, InstallationTally> m = new HashMap<>();
        for (InstallationTally t : ts) {
            m.put(t.uid(), t);
        }
        return m;
    }

    private static Map<FindingKind, Long> nonZero(FindingSink sink) {
        Map<FindingKind, Long> counts = new HashMap<>();
        sink.countsByKind().forEach((k, n) -> {
            if (n > 0) {
                counts.put(k, n);
            }
        });
        return counts;
    }

    private static FindingSink detect(List<PluginRow> plugins, List<DeclarationRow> declarations,
            Map<String, InstallationTally> tallies, Set<String> serverless) {
        FindingSink sink = new FindingSink(100);
        DatabaseConsistencyDetector d = new DatabaseConsistencyDetector(GRACE, sink);
        d.detect(plugins, declarations, tallies, serverless, d.knowledge(plugins, declarations));
        return sink;
    }

    @Test
    void reportsRefersBelowTheRealCountAsCriticalBecauseTheNextUninstallDeletesThePluginForEveryone() {
        FindingSink sink = detect(List.of(plugin(A, 1, "local", OLD)), List.of(declaration(A, OLD)),
                tallies(new InstallationTally(A, 3, 0, 0)), Set.of());
        assertEquals(1, sink.total());
        Finding finding = sink.findings().get(0);
        assertEquals(FindingKind.REFERS_TOO_LOW, finding.kind());
        assertEquals(Severity.CRITICAL, finding.severity());
        assertEquals("plugins", finding.table());
        assertEquals(A, finding.pluginUniqueIdentifier());
        assertTrue(finding.detail().startsWith("refers is 1 but 3 installation(s) use this identifier; "), finding.detail());
        assertEquals(Map.of(Severity.CRITICAL, 1L, Severity.WARNING, 0L, Severity.INFO, 0L), sink.countsBySeverity());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1})
    void reportsRefersOfZeroOrLessWithInstallationsAsTooLow(long refers) {
        FindingSink sink = detect(List.of(plugin(A, refers, "local", OLD)), List.of(declaration(A, OLD)),
                tallies(new InstallationTally(A, 2, 0, 0)), Set.of());
        assertEquals(Map.of(FindingKind.REFERS_TOO_LOW, 1L), nonZero(sink));
        assertTrue(sink.findings().get(0).detail().startsWith("refers is " + refers + " but 2 installation(s)"),
                sink.findings().get(0).detail());
    }

    @Test
    void reportsRefersAboveTheRealCountAsAWarning() {
        FindingSink sink = detect(List.of(plugin(A, 5, "local", OLD)), List.of(declaration(A, OLD)),
                tallies(new InstallationTally(A, 2, 0, 0)), Set.of());
        assertEquals(Map.of(FindingKind.REFERS_DRIFT, 1L), nonZero(sink));
        Finding finding = sink.findings().get(0);
        assertEquals(Severity.WARNING, finding.severity());
        assertEquals("refers is 5 but 2 installation(s) use this identifier", finding.detail());
    }

    @Test
    void saysNothingWhenRefersEqualsTheRealCount() {
        FindingSink sink = detect(List.of(plugin(A, 3, "local", OLD)), List.of(declaration(A, OLD)),
                tallies(new InstallationTally(A, 3, 0, 0)), Set.of());
        assertEquals(0, sink.total());
    }

    @Test
    void doesNotJudgeRefersWhileAnInstallationIsInFlight() {
        FindingSink sink = detect(List.of(plugin(A, 2, "local", OLD)), List.of(declaration(A, OLD)),
                tallies(new InstallationTally(A, 3, 0, 1)), Set.of());
        assertEquals(0, sink.total());
        assertEquals(1, sink.rowsInGrace());
    }

    @Test
    void reportsAnUnreferencedPluginAndItsRefersWhenTheyDisagree() {
        FindingSink sink = detect(List.of(plugin(A, 1, "local", OLD)), List.of(declaration(A, OLD)), tallies(), Set.of());
        assertEquals(Map.of(FindingKind.PLUGIN_UNREFERENCED, 1L, FindingKind.REFERS_DRIFT, 1L), nonZero(sink));
    }

    @Test
    void carriesTheChangeTimeOfTheRowEachFindingIsAbout() {
        Instant pluginChanged = OLD.plusSeconds(1);
        Instant declarationChanged = OLD.plusSeconds(2);
        FindingSink sink = detect(List.of(plugin(A, 1, "serverless", pluginChanged)), List.of(declaration(B, declarationChanged)),
                tallies(), Set.of());
        assertEquals(3, sink.total(), sink.findings().toString());
        for (Finding f : sink.findings()) {
            Instant expected = f.table().equals("plugins") ? pluginChanged : declarationChanged;
            assertEquals(ObservedVersion.row(expected), f.observed(), f.kind().label());
        }
    }

    @Test
    void leavesDeclarationsNoPluginUsesToThePackageCheckWhichKnowsTheirAge() {
        FindingSink sink = detect(List.of(), List.of(declaration(A, OLD), declaration(B, NEW)), tallies(), Set.of());
        assertEquals(0, sink.total(), sink.findings().toString());
    }

    @Test
    void checksServerlessRuntimesOnlyWhenTheTableExists() {
        List<PluginRow> plugins = List.of(plugin(A, 1, "serverless", OLD));
        Map<String, InstallationTally> t = tallies(new InstallationTally(A, 1, 0, 0));
        List<DeclarationRow> d = List.of(declaration(A, OLD));
        assertEquals(1, detect(plugins, d, t, Set.of()).count(FindingKind.SERVERLESS_RUNTIME_MISSING));
        assertEquals(0, detect(plugins, d, t, Set.of(A)).total());
        FindingSink noTable = detect(plugins, d, t, null);
        assertEquals(0, noTable.total());
        assertTrue(noTable.notes().get(0).contains("serverless_runtimes does not exist"), noTable.notes().toString());
    }

    @Test
    void reportsAnInvalidIdentifierOnceAndNothingElseAboutThatRow() {
        String broken = A.replace(':', '_');
        FindingSink sink = detect(List.of(plugin(broken, 5, "local", OLD)), List.of(declaration(broken, OLD)), tallies(),
                Set.of());
        assertEquals(2, sink.count(FindingKind.INVALID_IDENTIFIER_ROW));
        assertEquals(2, sink.total());
    }

    @Test
    void picksOnlySuspectInstallationIdentifiersForARowByRowLook() {
        List<PluginRow> plugins = List.of(plugin(A, 1, "local", OLD), plugin(B, 1, "remote", OLD));
        List<DeclarationRow> declarations = List.of(declaration(A, OLD));
        FindingSink sink = new FindingSink(10);
        DatabaseConsistencyDetector d = new DatabaseConsistencyDetector(GRACE, sink);
        String noPlugin = "acme/ghost:0.0.1@" + "c".repeat(64);
        Map<String, InstallationTally> t = tallies(new InstallationTally(A, 1, 0, 0), new InstallationTally(B, 1, 1, 0),
                new InstallationTally(noPlugin, 2, 0, 0), new InstallationTally(null, 1, 0, 0));
        // A is complete, B is remote (no declaration needed): only the orphaned identifier and NULL are suspects.
        Set<String> suspects = d.suspectInstallationUids(t, d.knowledge(plugins, declarations));
        assertEquals(2, suspects.size());
        assertTrue(suspects.contains(noPlugin));
        assertTrue(suspects.contains(null));
    }
}
