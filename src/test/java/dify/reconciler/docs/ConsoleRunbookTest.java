package dify.reconciler.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.console.KindGuide;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The web console links every finding to a section of docs/runbook.md: each kind of the catalog has a guide entry
 * (what the user sees, never blank), its anchor is a heading of the runbook, and that section names the kind, so
 * the link lands where the kind is explained.
 */
class ConsoleRunbookTest {

    @Test
    void everyKindLinksToARunbookSectionThatNamesIt() throws IOException {
        Map<String, String> sections = sections(Files.readString(Path.of("docs", "runbook.md"), StandardCharsets.UTF_8));
        List<String> problems = new ArrayList<>();
        for (FindingKind kind : FindingKind.values()) {
            KindGuide.Entry entry;
            try {
                entry = KindGuide.of(kind);
            } catch (IllegalStateException e) {
                problems.add(e.getMessage());
                continue;
            }
            if (entry.userSees().isBlank()) {
                problems.add(kind.label() + ": no 'what the user sees'");
            }
            String section = sections.get(entry.runbookAnchor());
            if (section == null) {
                problems.add(kind.label() + ": runbook.md has no heading #" + entry.runbookAnchor());
            } else if (!section.contains(kind.label())) {
                problems.add(kind.label() + ": runbook.md#" + entry.runbookAnchor() + " does not name the kind");
            }
        }
        assertEquals(List.of(), problems);
    }

    /** Each heading's GitHub anchor → its section's text (heading included, up to the next heading of any level). */
    private static Map<String, String> sections(String markdown) {
        Map<String, String> sections = new LinkedHashMap<>();
        String anchor = null;
        StringBuilder text = new StringBuilder();
        boolean fenced = false;
        for (String line : markdown.split("\n", -1)) {
            if (line.startsWith("```")) {
                fenced = !fenced;
            }
            if (!fenced && line.startsWith("#")) {
                if (anchor != null) {
                    sections.put(anchor, text.toString());
                }
                anchor = MarkdownLinks.slug(line.replaceFirst("^#+\\s+", ""));
                text.setLength(0);
            }
            text.append(line).append('\n');
        }
        if (anchor != null) {
            sections.put(anchor, text.toString());
        }
        return sections;
    }
}
