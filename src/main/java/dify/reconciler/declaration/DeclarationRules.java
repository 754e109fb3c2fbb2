package dify.reconciler.declaration;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The rules Dify's API applies to the provider declarations in the daemon's management lists, read from a versioned
 * resource ({@value #RESOURCE}), and a small interpreter for them: required fields, JSON types, enums of values and
 * "field X only allowed when Y". The rules are data so that a new Dify release is one file to update.
 */
public final class DeclarationRules {

    public static final String RESOURCE = "declaration-rules.json";

    /** pydantic's lax bool accepts these strings (case-insensitive), besides true/false and the integers 0 and 1. */
    private static final Set<String> TRUE_STRINGS = Set.of("1", "on", "t", "true", "y", "yes");
    private static final Set<String> FALSE_STRINGS = Set.of("0", "off", "f", "false", "n", "no");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String difyRelease;
    private final List<ListPage> pages;
    private final Map<String, ModelRules> models;

    private DeclarationRules(String difyRelease, List<ListPage> pages, Map<String, ModelRules> models) {
        this.difyRelease = difyRelease;
        this.pages = pages;
        this.models = models;
    }

    /** The rules shipped with this build. */
    public static DeclarationRules bundled() {
        try (InputStream in = DeclarationRules.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path");
            }
            return read(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a rules document; every model it names must be defined, so a typo fails here, not mid-scan. */
    public static DeclarationRules read(InputStream in) throws IOException {
        JsonNode root = JSON.readTree(in);
        String release = text(root, "dify_release");
        Map<String, ModelRules> models = new LinkedHashMap<>();
        root.path("models").properties().forEach(e -> models.put(e.getKey(), model(e.getValue())));
        List<ListPage> pages = new ArrayList<>();
        root.path("pages").properties().forEach(e -> pages.add(new ListPage(e.getKey(), text(e.getValue(), "page"),
                text(e.getValue(), "list"), text(e.getValue(), "model"))));
        DeclarationRules rules = new DeclarationRules(release, List.copyOf(pages), models);
        rules.requireDefinedModels();
        return rules;
    }

    /** The Dify release the rules were read from, e.g. {@code 1.17.0}. */
    public String difyRelease() {
        return difyRelease;
    }

    /**
     * Every rule {@code declarationJson} breaks, in document order.
     *
     * @throws IllegalArgumentException when the text is not JSON (the daemon could not list it either; reported elsewhere)
     */
    public List<DeclarationViolation> check(String declarationJson) {
        JsonNode root;
        try {
            root = declarationJson == null ? null : JSON.readTree(declarationJson);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
        List<DeclarationViolation> found = new ArrayList<>();
        if (root == null || !root.isObject()) {
            return found;
        }
        for (ListPage page : pages) {
            JsonNode part = root.get(page.key());
            // A plugin without this part is not in this list at all; an explicit null is sent as "no provider" too.
            if (part != null && !part.isNull()) {
                checkValue(part, new FieldRule("object", true, List.of(), page.model(), null), page.key(), page, found);
            }
        }
        return found;
    }

    private void checkValue(JsonNode value, FieldRule rule, String path, ListPage page, List<DeclarationViolation> found) {
        if (!hasType(value, rule.type())) {
            found.add(new DeclarationViolation(path, "type", article(rule.type()), describe(value), page.page(), page.list()));
            return;
        }
        if (!rule.allowed().isEmpty() && !rule.allowed().contains(value.asText())) {
            found.add(new DeclarationViolation(path, "enum", "one of " + rule.allowed(), describe(value), page.page(),
                    page.list()));
            return;
        }
        if (rule.model() != null) {
            checkModel(value, models.get(rule.model()), path, page, found);
        }
        if (rule.items() != null) {
            for (int i = 0; i < value.size(); i++) {
                JsonNode item = value.get(i);
                String itemPath = path + "[" + i + "]";
                if (item.isNull()) {
                    found.add(new DeclarationViolation(itemPath, "required", article(rule.items().type()), "null",
                            page.page(), page.list()));
                } else {
                    checkValue(item, rule.items(), itemPath, page, found);
                }
            }
        }
    }

    private void checkModel(JsonNode object, ModelRules model, String path, ListPage page, List<DeclarationViolation> found) {
        for (Map.Entry<String, FieldRule> field : model.fields().entrySet()) {
            JsonNode value = object.get(field.getKey());
            String fieldPath = path + "." + field.getKey();
            if (value == null || value.isNull()) {
                if (field.getValue().required()) {
                    found.add(new DeclarationViolation(fieldPath, "required", article(field.getValue().type()),
                            value == null ? "no such field" : "null", page.page(), page.list()));
                }
                continue;
            }
            checkValue(value, field.getValue(), fieldPath, page, found);
        }
        for (OnlyWhenRule rule : model.onlyWhen()) {
            Boolean set = asBoolean(object.get(rule.field()));
            JsonNode when = object.get(rule.when());
            if (set != null && set == rule.value() && when != null && when.isTextual() && !rule.in().contains(when.asText())) {
                found.add(new DeclarationViolation(path + "." + rule.field(), rule.rule(),
                        rule.when() + " one of " + rule.in() + " when " + rule.field() + " is " + rule.value(),
                        rule.when() + " '" + when.asText() + "'", page.page(), page.list()));
            }
        }
    }

    private static boolean hasType(JsonNode value, String type) {
        return switch (type) {
            case "string" -> value.isTextual();
            case "boolean" -> asBoolean(value) != null;
            case "number" -> value.isNumber() || (value.isTextual() && isNumber(value.asText()));
            case "object" -> value.isObject();
            case "list" -> value.isArray();
            default -> throw new IllegalStateException("unknown type '" + type + "' in " + RESOURCE);
        };
    }

    /** The value as pydantic's lax bool reads it; null when it would reject it. */
    static Boolean asBoolean(JsonNode value) {
        if (value == null) {
            return null;
        }
        if (value.isBoolean()) {
            return value.booleanValue();
        }
        if (value.isIntegralNumber() && (value.asLong() == 0 || value.asLong() == 1)) {
            return value.asLong() == 1;
        }
        if (value.isTextual()) {
            String s = value.asText().trim().toLowerCase(Locale.ROOT);
            if (TRUE_STRINGS.contains(s)) {
                return true;
            }
            if (FALSE_STRINGS.contains(s)) {
                return false;
            }
        }
        return null;
    }

    private static boolean isNumber(String s) {
        try {
            Double.parseDouble(s.trim());
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static String article(String type) {
        return (type.startsWith("o") ? "an " : "a ") + type;
    }

    /** What was found, short: a string's value (cut), or the JSON type. */
    private static String describe(JsonNode value) {
        if (value.isTextual()) {
            String s = value.asText();
            return "'" + (s.length() > 60 ? s.substring(0, 60) + "…" : s) + "'";
        }
        if (value.isObject()) {
            return "an object";
        }
        if (value.isArray()) {
            return "a list";
        }
        return value.toString();
    }

    private static ModelRules model(JsonNode node) {
        Map<String, FieldRule> fields = new LinkedHashMap<>();
        node.path("fields").properties().forEach(e -> fields.put(e.getKey(), field(e.getValue())));
        List<OnlyWhenRule> onlyWhen = new ArrayList<>();
        for (JsonNode r : node.path("only_when")) {
            onlyWhen.add(new OnlyWhenRule(text(r, "rule"), text(r, "field"), r.path("value").asBoolean(), text(r, "when"),
                    strings(r.path("in"))));
        }
        return new ModelRules(fields, List.copyOf(onlyWhen));
    }

    private static FieldRule field(JsonNode node) {
        return new FieldRule(text(node, "type"), node.path("required").asBoolean(false), strings(node.path("enum")),
                node.hasNonNull("model") ? node.get("model").asText() : null,
                node.hasNonNull("items") ? field(node.get("items")) : null);
    }

    private void requireDefinedModels() {
        List<String> named = new ArrayList<>();
        pages.forEach(p -> named.add(p.model()));
        for (ModelRules m : models.values()) {
            m.fields().values().forEach(f -> collectModels(f, named));
        }
        for (String name : named) {
            if (!models.containsKey(name)) {
                throw new IllegalStateException(RESOURCE + " names model '" + name + "' but does not define it");
            }
        }
    }

    private static void collectModels(FieldRule f, List<String> named) {
        if (f.model() != null) {
            named.add(f.model());
        }
        if (f.items() != null) {
            collectModels(f.items(), named);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalStateException(RESOURCE + ": '" + field + "' missing in " + node);
        }
        return v.asText();
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (Iterator<JsonNode> it = array.elements(); it.hasNext();) {
            out.add(it.next().asText());
        }
        return List.copyOf(out);
    }
}
