package dify.reconciler.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Declarations in the shape the daemon stores them ({@code plugin_declarations.declaration}): the manifest, with
 * the provider file inlined under {@code tool} or {@code model} and icons rewritten to asset ids. Modelled on
 * real marketplace packages (a search tool provider with two tools, an LLM model provider), with the zero values
 * the daemon's Go structs write ({@code "default": null}, {@code "options": null}, {@code "multiple": false}).
 */
public final class RealDeclarations {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RealDeclarations() {
    }

    /** A tool plugin; the second tool has a {@code select} parameter that accepts several values. */
    public static String tool(String author, String name, String version, String iconAssetId) {
        return """
                {"version":"%3$s","type":"plugin","author":"%1$s","name":"%2$s",
                 "label":{"en_US":"%2$s","zh_Hans":"%2$s"},"description":{"en_US":"Search the web"},
                 "icon":"%4$s","created_at":"2025-01-08T15:22:00Z",
                 "resource":{"memory":268435456,"permission":{"tool":{"enabled":true}}},
                 "plugins":{"tools":["provider/%2$s.yaml"]},
                 "meta":{"version":"0.0.1","arch":["amd64","arm64"],
                         "runner":{"language":"python","version":"3.12","entrypoint":"main"},"minimum_dify_version":null},
                 "tags":["search"],"privacy":"PRIVACY.md","verified":false,
                 "tool":{"identity":{"author":"%1$s","name":"%2$s","label":{"en_US":"%2$s","zh_Hans":"%2$s"},
                                     "description":{"en_US":"Search the web","zh_Hans":"搜索网络"},
                                     "icon":"%4$s","tags":["search","productivity"]},
                         "credentials_schema":[{"name":"api_key","type":"secret-input","required":true,
                                                "label":{"en_US":"API key"},"placeholder":{"en_US":"Your API key"}}],
                         "tools":[{"identity":{"author":"%1$s","name":"search","label":{"en_US":"Search"},"icon":""},
                                   "description":{"human":{"en_US":"Search the web"},"llm":"Searches the web"},
                                   "parameters":[{"name":"query","label":{"en_US":"Query"},"type":"string","form":"llm",
                                                  "required":true,"llm_description":"what to search for",
                                                  "default":null,"min":null,"max":null,"options":null,"multiple":false}],
                                   "output_schema":null,"has_runtime_parameters":false},
                                  {"identity":{"author":"%1$s","name":"news","label":{"en_US":"News"}},
                                   "description":{"human":{"en_US":"Latest news"},"llm":"Finds news"},
                                   "parameters":[{"name":"regions","label":{"en_US":"Regions"},"type":"select","form":"form",
                                                  "required":false,"multiple":true,"default":["us"],
                                                  "options":[{"value":"us","label":{"en_US":"US"}},
                                                             {"value":"eu","label":{"en_US":"EU"}}]},
                                                 {"name":"attachments","label":{"en_US":"Files"},"type":"files",
                                                  "form":"llm","required":false,"multiple":false}]}]}}
                """.formatted(author, name, version, iconAssetId);
    }

    /** A model provider plugin (an LLM provider). */
    public static String model(String author, String name, String version, String iconAssetId) {
        return """
                {"version":"%3$s","type":"plugin","author":"%1$s","name":"%2$s",
                 "label":{"en_US":"%2$s"},"description":{"en_US":"Models"},"icon":"%4$s",
                 "created_at":"2025-01-08T15:22:00Z","resource":{"memory":268435456},
                 "plugins":{"models":["provider/%2$s.yaml"]},
                 "meta":{"version":"0.0.1","arch":["amd64"],"runner":{"language":"python","version":"3.12","entrypoint":"main"}},
                 "model":{"provider":"%2$s","label":{"en_US":"%2$s"},"icon_small":{"en_US":"%4$s"},
                          "supported_model_types":["llm","text-embedding"],
                          "configurate_methods":["predefined-model","customizable-model"],
                          "provider_credential_schema":{"credential_form_schemas":[{"variable":"api_key",
                              "label":{"en_US":"API Key"},"type":"secret-input","required":true}]},
                          "models":[]}}
                """.formatted(author, name, version, iconAssetId);
    }

    /**
     * An agent strategy plugin (a ReAct-style strategy with a model, a tools list and a query), with the plugin's
     * {@code meta} that the agent strategies list sends along.
     */
    public static String agentStrategy(String author, String name, String version, String iconAssetId) {
        return """
                {"version":"%3$s","type":"plugin","author":"%1$s","name":"%2$s",
                 "label":{"en_US":"Agent strategies"},"description":{"en_US":"ReAct and function calling"},
                 "icon":"%4$s","created_at":"2025-02-11T09:00:00Z","resource":{"memory":1048576},
                 "plugins":{"agent_strategies":["provider/agent.yaml"]},
                 "meta":{"version":"0.0.1","arch":["amd64","arm64"],
                         "runner":{"language":"python","version":"3.12","entrypoint":"main"},"minimum_dify_version":"1.0.0"},
                 "tags":["agent"],"verified":true,
                 "agent_strategy":{"identity":{"author":"%1$s","name":"%2$s","label":{"en_US":"Agent"},
                                               "description":{"en_US":"Agent strategies"},"icon":"%4$s"},
                                   "strategies":[{"identity":{"author":"%1$s","name":"ReAct","label":{"en_US":"ReAct"}},
                                                  "description":{"en_US":"Reason and act"},
                                                  "parameters":[{"name":"model","label":{"en_US":"Model"},
                                                                 "type":"model-selector","scope":"tool-call&llm",
                                                                 "required":true,"multiple":false},
                                                                {"name":"tools","label":{"en_US":"Tools"},
                                                                 "type":"array[tools]","required":false,"multiple":false},
                                                                {"name":"query","label":{"en_US":"Query"},"type":"string",
                                                                 "required":true,"multiple":false}],
                                                  "output_schema":null,"features":["history-messages"]}]}}
                """.formatted(author, name, version, iconAssetId);
    }

    /** An online document datasource plugin (a knowledge pipeline source) with one datasource. */
    public static String datasource(String author, String name, String version, String iconAssetId) {
        return """
                {"version":"%3$s","type":"plugin","author":"%1$s","name":"%2$s",
                 "label":{"en_US":"Notion"},"description":{"en_US":"Notion pages"},"icon":"%4$s",
                 "created_at":"2025-06-20T08:00:00Z","resource":{"memory":268435456},
                 "plugins":{"datasources":["provider/notion.yaml"]},
                 "meta":{"version":"0.0.1","arch":["amd64"],"runner":{"language":"python","version":"3.12","entrypoint":"main"},
                         "minimum_dify_version":"1.9.0"},
                 "tags":["rag"],
                 "datasource":{"identity":{"author":"%1$s","name":"%2$s","label":{"en_US":"Notion"},
                                           "description":{"en_US":"Notion pages"},"icon":"%4$s","tags":["rag"]},
                               "provider_type":"online_document","credentials_schema":[],
                               "datasources":[{"identity":{"author":"%1$s","name":"notion_pages","label":{"en_US":"Pages"}},
                                               "description":{"en_US":"Read pages"},
                                               "parameters":[{"name":"workspace","label":{"en_US":"Workspace"},
                                                              "type":"string","required":false,"multiple":false,
                                                              "description":{"en_US":"Which workspace"}}],
                                               "output_schema":null}]}}
                """.formatted(author, name, version, iconAssetId);
    }

    /** A trigger plugin (a webhook provider with one event and a subscription constructor). */
    public static String trigger(String author, String name, String version, String iconAssetId) {
        return """
                {"version":"%3$s","type":"plugin","author":"%1$s","name":"%2$s",
                 "label":{"en_US":"GitHub"},"description":{"en_US":"GitHub events"},"icon":"%4$s",
                 "created_at":"2025-10-01T08:00:00Z","resource":{"memory":268435456},
                 "plugins":{"triggers":["provider/github.yaml"]},
                 "meta":{"version":"0.0.1","arch":["amd64"],"runner":{"language":"python","version":"3.12","entrypoint":"main"},
                         "minimum_dify_version":null},
                 "trigger":{"identity":{"author":"%1$s","name":"%2$s","label":{"en_US":"GitHub"},
                                        "description":{"en_US":"GitHub events"},"icon":"%4$s","tags":[]},
                            "subscription_schema":[],
                            "subscription_constructor":{"parameters":[{"name":"repository","label":{"en_US":"Repository"},
                                                                       "type":"dynamic-select","required":true,
                                                                       "multiple":false}],
                                                        "credentials_schema":[]},
                            "events":[{"identity":{"author":"%1$s","name":"issue_opened","label":{"en_US":"Issue opened"}},
                                       "description":{"en_US":"When an issue is opened"},
                                       "parameters":[{"name":"labels","label":{"en_US":"Labels"},"type":"select",
                                                      "required":null,"multiple":true,
                                                      "options":[{"value":"bug","label":{"en_US":"Bug"}}]}]}]}}
                """.formatted(author, name, version, iconAssetId);
    }

    /**
     * The declaration with the field at {@code path} ({@code tool.tools[1].parameters[0].multiple}) set to
     * {@code value} (JSON text), or removed when {@code value} is {@code REMOVE}.
     */
    public static String changed(String declaration, String path, String value) {
        try {
            return changedOrThrow(declaration, path, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String changedOrThrow(String declaration, String path, String value) throws IOException {
        JsonNode root = JSON.readTree(declaration);
        String pointer = "/" + path.replace("[", ".").replace("]", "").replace('.', '/');
        int cut = pointer.lastIndexOf('/');
        JsonNode parent = root.at(pointer.substring(0, cut).isEmpty() ? "" : pointer.substring(0, cut));
        String name = pointer.substring(cut + 1);
        if (parent.isArray()) {
            ((ArrayNode) parent).set(Integer.parseInt(name), JSON.readTree(value));
        } else if ("REMOVE".equals(value)) {
            if (!parent.has(name)) {
                throw new IllegalArgumentException("no field " + path + " to remove");
            }
            ((ObjectNode) parent).remove(name);
        } else {
            ((ObjectNode) parent).set(name, JSON.readTree(value));
        }
        return JSON.writeValueAsString(root);
    }
}
