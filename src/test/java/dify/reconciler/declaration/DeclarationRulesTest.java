package dify.reconciler.declaration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.testsupport.RealDeclarations;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One pair per rule: the realistic declaration changed in one field so that it still passes (a near miss), and
 * changed so that it breaks exactly that rule, reported at exactly that field.
 */
class DeclarationRulesTest {

    private static final DeclarationRules RULES = DeclarationRules.bundled();
    private static final String ICON = "0".repeat(64) + ".svg";
    private static final String TOOL = RealDeclarations.tool("langgenius", "websearch", "0.0.3", ICON);
    private static final String MODEL = RealDeclarations.model("langgenius", "openai", "0.2.1", ICON);

    @Test
    void realDeclarationsPass() {
        assertEquals(List.of(), RULES.check(TOOL));
        assertEquals(List.of(), RULES.check(MODEL));
    }

    @Test
    void theRulesNameTheDifyReleaseTheyWereReadFrom() {
        assertEquals("1.17.0", RULES.difyRelease());
    }

    /** Columns: the field changed (JSON path), the new value (JSON; REMOVE deletes the field), the rule broken. */
    @ParameterizedTest(name = "{0} = {1} breaks {2}")
    @CsvSource(delimiter = '|', value = {
            "tool.identity                              | REMOVE                   | required",
            "tool.identity.author                       | REMOVE                   | required",
            "tool.identity.author                       | 7                        | type",
            "tool.identity.name                         | null                     | required",
            "tool.identity.label                        | REMOVE                   | required",
            "tool.identity.label                        | \"Web search\"           | type",
            "tool.identity.label.en_US                  | REMOVE                   | required",
            "tool.identity.description                  | REMOVE                   | required",
            "tool.identity.icon                         | REMOVE                   | required",
            "tool.identity.tags[1]                      | \"ai\"                   | enum",
            "tool.tools                                 | {}                       | type",
            "tool.tools[0].identity                     | REMOVE                   | required",
            "tool.tools[0].identity.author              | REMOVE                   | required",
            "tool.tools[0].identity.name                | REMOVE                   | required",
            "tool.tools[0].identity.label               | REMOVE                   | required",
            "tool.tools[0].parameters[0].name           | REMOVE                   | required",
            "tool.tools[0].parameters[0].label          | REMOVE                   | required",
            "tool.tools[0].parameters[0].type           | REMOVE                   | required",
            "tool.tools[0].parameters[0].type           | \"text-input\"           | enum",
            "tool.tools[0].parameters[0].form           | \"prompt\"               | enum",
            "tool.tools[0].parameters[0].required       | \"maybe\"                | type",
            "tool.tools[1].parameters[1].multiple       | true                     | multiple_only_for_select",
            "tool.tools[0].parameters[0].multiple       | \"yes\"                  | multiple_only_for_select",
            "model.provider                             | REMOVE                   | required",
            "model.label                                | REMOVE                   | required",
            "model.supported_model_types                | REMOVE                   | required",
            "model.supported_model_types[0]             | \"text-generation\"      | enum",
            "model.configurate_methods[1]               | \"manual\"               | enum",
    })
    void breakingOneFieldIsReportedAtThatFieldWithItsRule(String path, String value, String rule) {
        List<DeclarationViolation> found = RULES.check(changed(path.startsWith("model") ? MODEL : TOOL, path, value));

        assertEquals(1, found.size(), () -> "exactly one violation expected: " + found);
        assertEquals(path, found.get(0).path());
        assertEquals(rule, found.get(0).rule());
        assertEquals(path.startsWith("model") ? "Models" : "Tools", found.get(0).page());
    }

    /** The same fields, changed so that Dify still parses them. */
    @ParameterizedTest(name = "{0} = {1} passes")
    @CsvSource(delimiter = '|', value = {
            "tool.identity.author                       | \"\"",
            "tool.identity.tags                         | null",
            "tool.identity.tags[1]                      | \"rag\"",
            "tool.identity.label.zh_Hans                | REMOVE",
            "tool.tools                                 | []",
            "tool.tools                                 | null",
            "tool.tools[0].identity.icon                | REMOVE",
            "tool.tools[0].description                  | REMOVE",
            "tool.tools[0].parameters                   | null",
            "tool.tools[0].parameters[0].type           | \"dynamic-select\"",
            "tool.tools[0].parameters[0].required       | \"true\"",
            "tool.tools[0].parameters[0].multiple       | REMOVE",
            "tool.tools[1].parameters[0].type           | \"dynamic-select\"",
            "tool.tools[1].parameters[1].multiple       | false",
            "tool.tools[1].parameters[1].multiple       | 0",
            "tool.tools[0].parameters[0].an_extra_field | {\"anything\": 1}",
            "tool.unknown_extension                     | [1, 2]",
            "model.supported_model_types[0]             | \"rerank\"",
            "model.icon_small                           | REMOVE",
    })
    void nearMissesPass(String path, String value) {
        assertEquals(List.of(), RULES.check(changed(path.startsWith("model") ? MODEL : TOOL, path, value)));
    }

    @Test
    void multipleOnAFilesParameterIsTheCaseOfDifyIssue41605() {
        String broken = changed(TOOL, "tool.tools[1].parameters[1].multiple", "true");

        DeclarationViolation v = RULES.check(broken).get(0);

        assertEquals("tool.tools[1].parameters[1].multiple breaks rule 'multiple_only_for_select': expected type one of"
                + " [select, dynamic-select] when multiple is true, found type 'files'", v.describe());
        assertEquals("GET plugin/{tenant}/management/tools", v.list());
    }

    @Test
    void aToolProviderWithoutIdentitySaysWhatIsMissing() {
        DeclarationViolation v = RULES.check(changed(TOOL, "tool.identity", "REMOVE")).get(0);

        assertEquals("tool.identity breaks rule 'required': expected an object, found no such field", v.describe());
    }

    @Test
    void everyBrokenFieldIsReportedInDocumentOrder() {
        String broken = changed(changed(TOOL, "tool.identity.label", "REMOVE"), "tool.tools[1].parameters[1].multiple",
                "true");

        assertEquals(List.of("tool.identity.label", "tool.tools[1].parameters[1].multiple"),
                RULES.check(broken).stream().map(DeclarationViolation::path).toList());
    }

    @Test
    void aPluginWithoutToolOrModelPartIsNotInThoseListsAndIsNotJudged() {
        assertEquals(List.of(), RULES.check("{\"name\":\"lambda\",\"endpoint\":{\"settings\":[]}}"));
        assertEquals(List.of(), RULES.check("{\"name\":\"lambda\",\"tool\":null}"));
    }

    @Test
    void textThatIsNotJsonIsRefusedNotJudged() {
        assertThrows(IllegalArgumentException.class, () -> RULES.check("{\"tool\": "));
    }

    @Test
    void aRulesFileNamingAModelItDoesNotDefineIsRejectedWhenRead() {
        String rules = """
                {"dify_release":"9.9.9","pages":{"tool":{"page":"Tools","list":"x","model":"tool_provider"}},
                 "models":{"tool_provider":{"fields":{"identity":{"type":"object","model":"tool_identity"}}}}}
                """;
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DeclarationRules.read(new ByteArrayInputStream(rules.getBytes(StandardCharsets.UTF_8))));
        assertTrue(e.getMessage().contains("'tool_identity'"), e.getMessage());
    }

    private static String changed(String declaration, String path, String value) {
        return RealDeclarations.changed(declaration, path, value);
    }
}
