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
import java.util.regex.Pattern;

/**
 * The rules Dify's API applies to the provider declarations in the daemon's management lists, read from a versioned
 * resource ({@value #RESOURCE}), and a small interpreter for them: required and non-null fields, JSON types, enums of
 * values, patterns, named formats ({@link ValueFormat}) and "field X only allowed when Y". The rules are data so that
 * a new Dify release is one file to update.
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

    /**
     * Reads a rules document; every model it names must be defined and every format known, so a typo fails here, not
     * mid-scan. A model may {@code extend} another (pydantic's subclassing): it has the other's fields and rules first.
     */
    public static DeclarationRules read(InputStream in) throws IOException {
        JsonNode root = JSON.readTree(in);
        String release = text(root, "dify_release");
        Map<String, JsonNode> declared = new LinkedHashMap<>();
        root.path("models").properties().forEach(e -> declared.put(e.getKey(), e.getValue()));
        Map<String, ModelRules> models = new LinkedHashMap<>();
        for (String name : declared.keySet()) {
            resolve(name, declared, models, new ArrayList<>());
        }
        List<ListPage> pages = new ArrayList<>();
        root.path("pages").properties().forEach(e -> {
            Map<String, String> also = new LinkedHashMap<>();
            e.getValue().path("also").properties().forEach(a -> also.put(a.getKey(), a.getValue().asText()));
            String key = e.getValue().has("part") ? e.getValue().get("part").asText() : e.getKey();
            pages.add(new ListPage(key, new FailingPage(text(e.getValue(), "page"), text(e.getValue(), "list")),
                    text(e.getValue(), "model"), Map.copyOf(also)));
        });
        DeclarationRules rules = new DeclarationRules(release, List.copyOf(pages), models);
        rules.requireDefinedModels();
        return rules;
    }

    private static ModelRules resolve(String name, Map<String, JsonNode> declared, Map<String, ModelRules> resolved,
            List<String> resolving) {
        ModelRules done = resolved.get(name);
        if (done != null) {
            return done;
        }
        JsonNode node = declared.get(name);
        if (node == null) {
            throw new IllegalStateException(RESOURCE + " names model '" + name + "' but does not define it");
        }
        if (resolving.contains(name)) {
            throw new IllegalStateException(RESOURCE + ": model '" + name + "' extends itself via " + resolving);
        }
        resolving.add(name);
        Map<String, FieldRule> fields = new LinkedHashMap<>();
        List<OnlyWhenRule> onlyWhen = new ArrayList<>();
        if (node.hasNonNull("extends")) {
            ModelRules parent = resolve(node.get("extends").asText(), declared, resolved, resolving);
            fields.putAll(parent.fields());
            onlyWhen.addAll(parent.onlyWhen());
        }
        ModelRules own = model(node);
        fields.putAll(own.fields());
        onlyWhen.addAll(own.onlyWhen());
        ModelRules rules = new ModelRules(fields, List.copyOf(onlyWhen));
        resolved.put(name, rules);
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
        if (root == null || !root.isObject()) {
            return List.of();
        }
        // One violation per field and rule, with every page it breaks: a provider's identity is parsed by its own
        // page and again by the Plugins page.
        Map<List<String>, List<FailingPage>> pagesByViolation = new LinkedHashMap<>();
        for (ListPage page : pages) {
            List<Found> found = new ArrayList<>();
            if (page.wholeDeclaration()) {
                checkModel(root, models.get(page.model()), "", found);
            } else {
                JsonNode part = root.get(page.key());
                // A plugin without this part is not in this list at all; an explicit null is sent as "no provider" too.
                if (part == null || part.isNull()) {
                    continue;
                }
                checkValue(part, FieldRule.requiredObject(page.model()), page.key(), found);
                page.also().forEach((field, model) -> checkField(root, field, FieldRule.requiredObject(model), "", found));
            }
            for (Found f : found) {
                pagesByViolation.computeIfAbsent(List.of(f.path(), f.rule(), f.expected(), f.found()), k -> new ArrayList<>())
                        .add(page.failing());
            }
        }
        List<DeclarationViolation> violations = new ArrayList<>();
        pagesByViolation.forEach((v, failing) -> violations.add(new DeclarationViolation(v.get(0), v.get(1), v.get(2),
                v.get(3), List.copyOf(failing))));
        return violations;
    }

    /** A violation before we know every page it breaks. */
    private record Found(String path, String rule, String expected, String found) {
    }

    private void checkValue(JsonNode value, FieldRule rule, String path, List<Found> found) {
        if (!hasType(value, rule.type())) {
            found.add(new Found(path, "type", article(rule.type()), describe(value)));
            return;
        }
        if (!rule.allowed().isEmpty() && !rule.allowed().contains(value.asText())) {
            found.add(new Found(path, "enum", "one of " + rule.allowed(), describe(value)));
            return;
        }
        if (rule.pattern() != null && !rule.pattern().matcher(value.asText()).matches()) {
            found.add(new Found(path, "pattern", "a value matching " + rule.pattern().pattern(), describe(value)));
            return;
        }
        if (rule.format() != null && !rule.format().accepts(value.asText())) {
            found.add(new Found(path, "format", rule.format().description(), describe(value)));
            return;
        }
        if (rule.model() != null) {
            checkModel(value, models.get(rule.model()), path, found);
        }
        if (rule.items() != null) {
            for (int i = 0; i < value.size(); i++) {
                JsonNode item = value.get(i);
                String itemPath = path + "[" + i + "]";
                if (item.isNull()) {
                    found.add(new Found(itemPath, "required", article(rule.items().type()), "null"));
                } else {
                    checkValue(item, rule.items(), itemPath, found);
                }
            }
        }
    }

    private void checkModel(JsonNode object, ModelRules model, String path, List<Found> found) {
        for (Map.Entry<String, FieldRule> field : model.fields().entrySet()) {
            checkField(object, field.getKey(), field.getValue(), path, found);
        }
        for (OnlyWhenRule rule : model.onlyWhen()) {
            Boolean set = asBoolean(object.get(rule.field()));
            JsonNode when = object.get(rule.when());
            if (set != null && set == rule.value() && when != null && when.isTextual() && !rule.in().contains(when.asText())) {
                found.add(new Found(join(path, rule.field()), rule.rule(),
                        rule.when() + " one of " + rule.in() + " when " + rule.field() + " is " + rule.value(),
                        rule.when() + " '" + when.asText() + "'"));
            }
        }
    }

    private void checkField(JsonNode object, String name, FieldRule rule, String path, List<Found> found) {
        JsonNode value = object.get(name);
        String fieldPath = join(path, name);
        if (value == null) {
            if (rule.required()) {
                found.add(new Found(fieldPath, "required", article(rule.type()), "no such field"));
            }
        } else if (value.isNull()) {
            if (!rule.nullAllowed()) {
                found.add(new Found(fieldPath, rule.required() ? "required" : "type", article(rule.type()), "null"));
            }
        } else {
            checkValue(value, rule, fieldPath, found);
        }
    }

    private static String join(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
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
        boolean required = node.path("required").asBoolean(false);
        // pydantic: a required field rejects null unless typed X | None; a field with a default accepts null only then
        boolean nullAllowed = node.path("nullable").asBoolean(!required);
        return new FieldRule(text(node, "type"), required, nullAllowed, strings(node.path("enum")),
                node.hasNonNull("pattern") ? Pattern.compile(node.get("pattern").asText()) : null,
                node.hasNonNull("format") ? ValueFormat.named(node.get("format").asText()) : null,
                node.hasNonNull("model") ? node.get("model").asText() : null,
                node.hasNonNull("items") ? field(node.get("items")) : null);
    }

    private void requireDefinedModels() {
        List<String> named = new ArrayList<>();
        pages.forEach(p -> {
            named.add(p.model());
            named.addAll(p.also().values());
        });
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
