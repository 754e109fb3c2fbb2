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
    private static final String AGENT = RealDeclarations.agentStrategy("langgenius", "agent", "0.0.9", ICON);
    private static final String DATASOURCE = RealDeclarations.datasource("langgenius", "notion_datasource", "0.1.2", ICON);
    private static final String TRIGGER = RealDeclarations.trigger("langgenius", "github_trigger", "0.2.0", ICON);

    @Test
    void realDeclarationsPass() {
        assertEquals(List.of(), RULES.check(TOOL));
        assertEquals(List.of(), RULES.check(MODEL));
        assertEquals(List.of(), RULES.check(AGENT));
        assertEquals(List.of(), RULES.check(DATASOURCE));
        assertEquals(List.of(), RULES.check(TRIGGER));
    }

    @Test
    void theRulesNameTheDifyReleaseTheyWereReadFrom() {
        assertEquals("1.17.0", RULES.difyRelease());
    }

    /**
     * Columns: the field changed (JSON path, in the realistic declaration of that kind: the first segment names it,
     * root fields use the tool plugin unless under {@code meta}, which uses the agent strategy plugin), the new value
     * (JSON; REMOVE deletes the field), the rule broken (with {@code @path} when the violation is reported at an item
     * of the field), the pages that fail, joined with {@code +}.
     */
    @ParameterizedTest(name = "{0} = {1} breaks {2} on {3}")
    @CsvSource(delimiter = '|', value = {
            "tool.identity                                           | REMOVE                       | required                                      | Tools+Plugins",
            "tool.identity.author                                    | REMOVE                       | required                                      | Tools+Plugins",
            "tool.identity.author                                    | 7                            | type                                          | Tools+Plugins",
            "tool.identity.name                                      | null                         | required                                      | Tools+Plugins",
            "tool.identity.label                                     | REMOVE                       | required                                      | Tools+Plugins",
            "tool.identity.label                                     | \"Web search\"               | type                                          | Tools+Plugins",
            "tool.identity.label.en_US                               | REMOVE                       | required                                      | Tools+Plugins",
            "tool.identity.description                               | REMOVE                       | required                                      | Tools+Plugins",
            "tool.identity.icon                                      | REMOVE                       | required                                      | Tools+Plugins",
            "tool.identity.tags[1]                                   | \"ai\"                       | enum                                          | Tools+Plugins",
            "tool.tools                                              | {}                           | type                                          | Tools",
            "tool.tools[0].identity                                  | REMOVE                       | required                                      | Tools",
            "tool.tools[0].identity.author                           | REMOVE                       | required                                      | Tools",
            "tool.tools[0].identity.name                             | REMOVE                       | required                                      | Tools",
            "tool.tools[0].identity.label                            | REMOVE                       | required                                      | Tools",
            "tool.tools[0].parameters[0].name                        | REMOVE                       | required                                      | Tools",
            "tool.tools[0].parameters[0].label                       | REMOVE                       | required                                      | Tools",
            "tool.tools[0].parameters[0].type                        | REMOVE                       | required                                      | Tools",
            "tool.tools[0].parameters[0].type                        | \"text-input\"               | enum                                          | Tools",
            "tool.tools[0].parameters[0].form                        | \"prompt\"                   | enum                                          | Tools",
            "tool.tools[0].parameters[0].required                    | \"maybe\"                    | type                                          | Tools",
            "tool.tools[1].parameters[1].multiple                    | true                         | multiple_only_for_select                      | Tools",
            "tool.tools[0].parameters[0].multiple                    | \"yes\"                      | multiple_only_for_select                      | Tools",
            "model.provider                                          | REMOVE                       | required                                      | Models+Plugins",
            "model.label                                             | REMOVE                       | required                                      | Models+Plugins",
            "model.supported_model_types                             | REMOVE                       | required                                      | Models+Plugins",
            "model.supported_model_types[0]                          | \"text-generation\"          | enum                                          | Models+Plugins",
            "model.configurate_methods[1]                            | \"manual\"                   | enum                                          | Models+Plugins",
            "agent_strategy.identity                                 | REMOVE                       | required                                      | Agent strategies+Plugins",
            "agent_strategy.identity.icon                            | REMOVE                       | required                                      | Agent strategies+Plugins",
            "agent_strategy.identity.tags                            | [\"search\", \"agent\"]      | enum@agent_strategy.identity.tags[1]          | Agent strategies+Plugins",
            "agent_strategy.strategies                               | null                         | type                                          | Agent strategies",
            "agent_strategy.strategies[0].identity                   | REMOVE                       | required                                      | Agent strategies",
            "agent_strategy.strategies[0].identity.label             | REMOVE                       | required                                      | Agent strategies",
            "agent_strategy.strategies[0].description                | REMOVE                       | required                                      | Agent strategies",
            "agent_strategy.strategies[0].features[0]                | \"memory\"                   | enum                                          | Agent strategies",
            "agent_strategy.strategies[0].parameters[2].name         | REMOVE                       | required                                      | Agent strategies",
            "agent_strategy.strategies[0].parameters[2].type         | \"dynamic-select\"           | enum                                          | Agent strategies",
            "agent_strategy.strategies[0].parameters[2].required     | null                         | type                                          | Agent strategies",
            "agent_strategy.strategies[0].parameters[2].multiple     | null                         | type                                          | Agent strategies",
            "meta                                                    | \"0.0.1\"                    | type                                          | Agent strategies+Plugins",
            "meta.minimum_dify_version                               | \"latest\"                   | format                                        | Agent strategies+Plugins",
            "datasource.identity.label                               | REMOVE                       | required                                      | Datasources+Plugins",
            "datasource.provider_type                                | REMOVE                       | required                                      | Datasources+Plugins",
            "datasource.provider_type                                | \"online_sheet\"             | enum                                          | Datasources+Plugins",
            "datasource.datasources                                  | null                         | type                                          | Datasources",
            "datasource.datasources[0].identity.name                 | REMOVE                       | required                                      | Datasources",
            "datasource.datasources[0].description                   | REMOVE                       | required                                      | Datasources",
            "datasource.datasources[0].parameters[0].description     | REMOVE                       | required                                      | Datasources",
            "datasource.datasources[0].parameters[0].type            | \"dynamic-select\"           | enum                                          | Datasources",
            "trigger.identity.description                            | REMOVE                       | required                                      | Triggers+Plugins",
            "trigger.identity.tags                                   | null                         | type                                          | Triggers+Plugins",
            "trigger.events                                          | null                         | type                                          | Triggers+Plugins",
            "trigger.events[0].identity.author                       | REMOVE                       | required                                      | Triggers+Plugins",
            "trigger.events[0].description                           | REMOVE                       | required                                      | Triggers+Plugins",
            "trigger.events[0].parameters[0].type                    | \"secret-input\"             | enum                                          | Triggers+Plugins",
            "trigger.events[0].parameters[0].description             | \"Labels\"                   | type                                          | Triggers+Plugins",
            "trigger.subscription_constructor.parameters             | null                         | type                                          | Triggers+Plugins",
            "trigger.subscription_constructor.parameters[0].label    | REMOVE                       | required                                      | Triggers+Plugins",
            "version                                                 | \"0.0.1-fix\"                | format                                        | Plugins",
            "version                                                 | \"latest\"                   | format                                        | Plugins",
            "name                                                    | \"Web.Search\"               | pattern                                       | Plugins",
            "author                                                  | \"john.doe\"                 | pattern                                       | Plugins",
            "tags                                                    | null                         | type                                          | Plugins",
    })
    void breakingOneFieldIsReportedAtThatFieldWithItsRuleAndPages(String path, String value, String rule, String pages) {
        String at = rule.contains("@") ? rule.substring(rule.indexOf('@') + 1) : path;
        List<DeclarationViolation> found = RULES.check(changed(declarationFor(path), path, value));

        assertEquals(1, found.size(), () -> "exactly one violation expected: " + found);
        assertEquals(at, found.get(0).path());
        assertEquals(rule.contains("@") ? rule.substring(0, rule.indexOf('@')) : rule, found.get(0).rule());
        assertEquals(List.of(pages.split("\\+")), found.get(0).pages().stream().map(FailingPage::page).toList());
    }

    /** The same fields, changed so that Dify still parses them. */
    @ParameterizedTest(name = "{0} = {1} passes")
    @CsvSource(delimiter = '|', value = {
            "tool.tools[0].parameters[0].multiple                    | REMOVE",
            "tool.tools[1].parameters[0].type                        | \"dynamic-select\"",
            "tool.tools[1].parameters[1].multiple                    | false",
            "tool.tools[1].parameters[1].multiple                    | 0",
            "tool.tools[0].parameters[0].an_extra_field              | {\"anything\": 1}",
            "tool.unknown_extension                                  | [1, 2]",
            "model.supported_model_types[0]                          | \"rerank\"",
            "model.icon_small                                        | REMOVE",
            "agent_strategy.identity.tags                            | [\"search\", \"rag\"]",
            "agent_strategy.strategies                               | []",
            "agent_strategy.strategies[0].parameters                 | null",
            "agent_strategy.strategies[0].features                   | null",
            "agent_strategy.strategies[0].parameters[2].type         | \"array[tools]\"",
            "agent_strategy.strategies[0].parameters[2].multiple     | REMOVE",
            "meta.minimum_dify_version                               | null",
            "meta.minimum_dify_version                               | \"1.10.0rc1\"",
            "meta.minimum_dify_version                               | \" v2.0.0.post1 \"",
            "datasource.provider_type                                | \"online_drive\"",
            "datasource.datasources[0].parameters                    | null",
            "datasource.datasources[0].identity.icon                 | null",
            "datasource.datasources[0].parameters[0].type            | \"system-files\"",
            "trigger.identity.icon                                   | null",
            "trigger.identity.tags                                   | [\"anything\"]",
            "trigger.subscription_constructor                        | null",
            "trigger.events[0].parameters                            | null",
            "trigger.events[0].parameters[0].required                | null",
            "trigger.events[0].parameters[0].multiple                | null",
            "trigger.events[0].parameters[0].type                    | \"checkbox\"",
            "trigger.events[0].parameters[0].description             | null",
            "version                                                 | \"1.0.0-beta1\"",
            "version                                                 | \"1.0.0-1\"",
            "version                                                 | REMOVE",
            "name                                                    | \"web_search-2\"",
            "author                                                  | null",
            "author                                                  | \"John_Doe-1\"",
            "tags                                                    | []",
    })
    void nearMissesPass(String path, String value) {
        assertEquals(List.of(), RULES.check(changed(declarationFor(path), path, value)));
    }

    @Test
    void multipleOnAFilesParameterIsTheCaseOfDifyIssue41605() {
        String broken = changed(TOOL, "tool.tools[1].parameters[1].multiple", "true");

        DeclarationViolation v = RULES.check(broken).get(0);

        assertEquals("tool.tools[1].parameters[1].multiple breaks rule 'multiple_only_for_select': expected type one of"
                + " [select, dynamic-select] when multiple is true, found type 'files'", v.describe());
        assertEquals(List.of(new FailingPage("Tools", "GET plugin/{tenant}/management/tools")), v.pages());
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

    /** The realistic declaration a path of the tables above changes. */
    private static String declarationFor(String path) {
        String top = path.split("[.\\[]")[0];
        return switch (top) {
            case "model" -> MODEL;
            case "agent_strategy", "meta" -> AGENT;
            case "datasource" -> DATASOURCE;
            case "trigger" -> TRIGGER;
            default -> TOOL;
        };
    }

    private static String changed(String declaration, String path, String value) {
        return RealDeclarations.changed(declaration, path, value);
    }
}
