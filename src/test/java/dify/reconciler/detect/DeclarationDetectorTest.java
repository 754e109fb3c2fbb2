package dify.reconciler.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.declaration.DeclarationRules;
import dify.reconciler.inventory.DeclarationText;
import dify.reconciler.inventory.TenantSample;
import dify.reconciler.testsupport.RealDeclarations;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeclarationDetectorTest {

    private static final String ICON = "1".repeat(64) + ".svg";
    private static final Instant UPDATED = Instant.parse("2026-11-02T10:00:00Z");

    @Test
    void namesTheFirstThreeViolationsCountsTheRestAndListsEveryPageThatFails() {
        String tool = RealDeclarations.tool("acme", "both", "1.0.0", ICON);
        String model = RealDeclarations.model("acme", "both", "1.0.0", ICON);
        // A plugin that is a tool and a model provider at once, broken in both parts.
        String both = RealDeclarations.changed(tool, "model", model.substring(model.indexOf("\"model\":") + 8,
                model.lastIndexOf('}')));
        both = RealDeclarations.changed(both, "tool.identity.label", "REMOVE");
        both = RealDeclarations.changed(both, "tool.tools[0].parameters[0].type", "\"text-input\"");
        both = RealDeclarations.changed(both, "tool.tools[1].parameters[1].multiple", "true");
        both = RealDeclarations.changed(both, "model.supported_model_types[0]", "\"text-generation\"");
        String uid = "acme/both:1.0.0@" + "e".repeat(64);
        FindingSink sink = new FindingSink(100);
        DeclarationDetector detector = new DeclarationDetector(DeclarationRules.bundled(), sink);

        detector.check(new DeclarationText("d1", uid, "acme/both", UPDATED, both));
        detector.check(new DeclarationText("d2", "acme/fine:1.0.0@" + "f".repeat(64), "acme/fine", UPDATED, tool));
        assertEquals(Set.of(uid), detector.brokenUids());
        detector.report(Map.of(uid, new TenantSample(12, List.of("t1", "t2", "t3", "t4", "t5"))));

        Finding f = sink.findings().get(0);
        assertEquals(1, sink.findings().size());
        assertEquals(FindingKind.DECLARATION_INVALID, f.kind());
        assertEquals(ObservedVersion.row(UPDATED), f.observed());
        assertEquals("Dify 1.17.0 cannot parse this declaration: tool.identity.label breaks rule 'required': expected an"
                + " object, found no such field; tool.tools[0].parameters[0].type breaks rule 'enum': expected one of"
                + " [string, number, boolean, select, secret-input, file, files, checkbox, app-selector, model-selector,"
                + " any, dynamic-select, array, object, system-files], found 'text-input'; tool.tools[1].parameters[1]"
                + ".multiple breaks rule 'multiple_only_for_select': expected type one of [select, dynamic-select] when"
                + " multiple is true, found type 'files' (and 1 more). Pages that fail with 'Failed to parse response"
                + " from plugin daemon to PluginDaemonBasicResponse': Tools (GET plugin/{tenant}/management/tools),"
                + " Plugins (GET plugin/{tenant}/management/list), Models (GET plugin/{tenant}/management/models), for"
                + " every workspace that installed the plugin:"
                + " 12 tenant(s), e.g. t1, t2, t3, t4, t5. Fix: install a plugin version whose declaration passes"
                + " (report-only)", f.detail());
    }

    @Test
    void aDeclarationThatIsNotJsonIsLeftToTheAssetCheck() {
        FindingSink sink = new FindingSink(100);
        DeclarationDetector detector = new DeclarationDetector(DeclarationRules.bundled(), sink);

        detector.check(new DeclarationText("d1", "acme/x:1.0.0@" + "e".repeat(64), "acme/x", UPDATED, "{\"tool\": "));
        detector.report(Map.of());

        assertEquals(List.of(), sink.findings());
    }
}
