package dify.reconciler.catalog;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The asset ids a stored declaration names. At upload the daemon uploads each icon file named in the manifest
 * to {@code assets/} and writes the returned id back into the declaration (daemon
 * {@code internal/core/plugin_manager/media_transport/assets.go} {@code RemapAssets}); the id is
 * {@code hex(sha256(bytes || filename)) + filepath.Ext(filename)} ({@code assets_bucket.go} {@code Upload}).
 *
 * <p>Fields read: {@code icon}, {@code icon_dark}; {@code tool|agent_strategy|trigger|datasource.identity.icon[_dark]};
 * {@code datasource.datasources[].identity.icon[_dark]}; every language of
 * {@code model.icon_small|icon_large|icon_small_dark|icon_large_dark}. Some of these the current daemon never
 * rewrites (datasource {@code icon_dark}); they are read anyway and kept only if they look like an asset id.
 * Values that do not (a file name left as written, a URL) are not asset references and are skipped.
 */
public final class AssetReferences {

    /** 64 lower-case hex digits, then the extension as Go's {@code filepath.Ext} gives it: empty or one dot and no further dot or slash. */
    private static final Pattern ASSET_ID = Pattern.compile("[0-9a-f]{64}(\\.[^./]*)?");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> ICONS = List.of("icon", "icon_dark");
    private static final List<String> PROVIDERS = List.of("tool", "agent_strategy", "trigger", "datasource");
    private static final List<String> MODEL_ICONS = List.of("icon_small", "icon_large", "icon_small_dark", "icon_large_dark");

    private AssetReferences() {
    }

    /** True when {@code candidate} has the shape of an id the daemon gives an uploaded asset. */
    public static boolean isAssetId(String candidate) {
        return candidate != null && ASSET_ID.matcher(candidate).matches();
    }

    /**
     * The distinct asset ids named in {@code declarationJson}, in field order.
     *
     * @throws IllegalArgumentException when the text is not a JSON object
     */
    public static List<String> extract(String declarationJson) {
        JsonNode root = parse(declarationJson);
        Set<String> ids = new LinkedHashSet<>();
        addIcons(root, ids);
        for (String provider : PROVIDERS) {
            addIcons(root.path(provider).path("identity"), ids);
        }
        for (JsonNode datasource : root.path("datasource").path("datasources")) {
            addIcons(datasource.path("identity"), ids);
        }
        JsonNode model = root.path("model");
        for (String field : MODEL_ICONS) {
            // A map of language -> id (en_US, zh_Hans, ja_JP, pt_BR today); read every language there is.
            JsonNode byLanguage = model.path(field);
            if (byLanguage.isObject()) {
                byLanguage.forEach(value -> add(value, ids));
            }
        }
        return List.copyOf(ids);
    }

    private static JsonNode parse(String declarationJson) {
        if (declarationJson == null || declarationJson.isBlank()) {
            throw new IllegalArgumentException("declaration is empty");
        }
        JsonNode root;
        try {
            root = JSON.readTree(declarationJson);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("declaration is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("declaration is not a JSON object");
        }
        return root;
    }

    private static void addIcons(JsonNode node, Set<String> ids) {
        for (String field : ICONS) {
            add(node.path(field), ids);
        }
    }

    private static void add(JsonNode value, Set<String> ids) {
        if (value.isTextual() && isAssetId(value.asText())) {
            ids.add(value.asText());
        }
    }
}
