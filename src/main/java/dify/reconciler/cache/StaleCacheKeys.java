package dify.reconciler.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.remediate.record.ChangedRow;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which of the plugin daemon's Redis keys hold a row a committed action changed, built exactly as the daemon
 * builds them ({@code pkg/utils/cache}: {@code <prefix>:} + logical key; auto-typed values add
 * {@code auto_type:<Go package path>.<type>:}). Every key is spelled out in full: identifiers contain {@code :},
 * so a pattern would match other plugins' keys. Every reader of these keys falls back to the database when a
 * key is missing, so deleting one costs the daemon one query.
 *
 * <table>
 * <caption>changed row → stale keys (after {@code <prefix>:})</caption>
 * <tr><td>{@code plugin_declarations}, {@code plugins} (not a {@code refers}-only update)</td>
 * <td>{@code auto_type:…/plugin_entities.PluginDeclaration:declaration_cache:<local|remote|serverless>:<uid>}: the
 * declaration a reader got from the declaration row or, for remote plugins, from {@code plugins.remote_declaration}</td></tr>
 * <tr><td>{@code plugin_installations}</td><td>{@code auto_type:…/models.PluginInstallation:plugin_id:<plugin_id>:tenant_id:<tenant>}</td></tr>
 * <tr><td>{@code endpoints}</td><td>{@code auto_type:…/models.Endpoint:hook_id:<hook_id>}</td></tr>
 * <tr><td>{@code serverless_runtimes}</td><td>{@code serverless:runtime:<uid>}</td></tr>
 * <tr><td>{@code ai_model_installations}</td><td>the hash {@code model_installations:tenant_id:<tenant>} (only used when
 * the daemon's model-installations cache is on)</td></tr>
 * </table>
 * Nothing else: the other category tables, {@code plugins.refers}, readme, task and storage rows are never cached.
 * Lock keys, cluster state, sessions and persistence data are never produced: {@link #isRowCacheKey} is the
 * allow-list every key passes before it is deleted.
 */
public final class StaleCacheKeys {

    static final String DAEMON_MODULE = "github.com/langgenius/dify-plugin-daemon";
    static final String DECLARATION_TYPE = DAEMON_MODULE + "/pkg/entities/plugin_entities.PluginDeclaration";
    static final String INSTALLATION_TYPE = DAEMON_MODULE + "/internal/types/models.PluginInstallation";
    static final String ENDPOINT_TYPE = DAEMON_MODULE + "/internal/types/models.Endpoint";
    /** The daemon's runtime types: a declaration is cached under each it was read as. */
    static final List<String> RUNTIME_TYPES = List.of("local", "remote", "serverless");
    static final String AI_MODEL_INSTALLATIONS = "ai_model_installations";

    /** The logical key namespaces (after the prefix) this class may produce; nothing else is ever deleted. */
    private static final List<String> ROW_CACHE_NAMESPACES = List.of(
            "auto_type:" + DECLARATION_TYPE + ":declaration_cache:",
            "auto_type:" + INSTALLATION_TYPE + ":plugin_id:",
            "auto_type:" + ENDPOINT_TYPE + ":hook_id:",
            "serverless:runtime:",
            "model_installations:tenant_id:");

    /**
     * The keys, in order and without repeats.
     *
     * @param declarations whether a plugin declaration was among them: each daemon process also keeps declarations
     *        in its memory, which no one can clear from outside
     */
    public record Stale(List<String> keys, boolean declarations) {
    }

    private final String prefix;
    private final ObjectMapper json;

    /** @param prefix the daemon's {@code REDIS_KEY_PREFIX} (default {@code plugin_daemon}) */
    public StaleCacheKeys(String prefix, ObjectMapper json) {
        this.prefix = prefix;
        this.json = json;
    }

    public Stale of(List<ChangedRow> rows) {
        Set<String> keys = new LinkedHashSet<>();
        boolean declarations = false;
        for (ChangedRow row : rows) {
            JsonNode r = parse(row.rowJson());
            switch (row.table()) {
                case DaemonSchema.DECLARATIONS, DaemonSchema.PLUGINS -> {
                    if (row.wholeRow() || !Set.of("refers").containsAll(row.columns())) {
                        String uid = text(r, "plugin_unique_identifier");
                        if (uid != null) {
                            for (String runtime : RUNTIME_TYPES) {
                                keys.add(autoTyped(DECLARATION_TYPE, "declaration_cache:" + runtime + ":" + uid));
                            }
                            declarations = true;
                        }
                    }
                }
                case DaemonSchema.INSTALLATIONS -> {
                    String pluginId = text(r, "plugin_id");
                    String tenant = text(r, "tenant_id");
                    if (pluginId != null && tenant != null) {
                        keys.add(autoTyped(INSTALLATION_TYPE, "plugin_id:" + pluginId + ":tenant_id:" + tenant));
                    }
                }
                case DaemonSchema.ENDPOINTS -> {
                    String hook = text(r, "hook_id");
                    if (hook != null) {
                        keys.add(autoTyped(ENDPOINT_TYPE, "hook_id:" + hook));
                    }
                }
                case DaemonSchema.SERVERLESS_RUNTIMES -> {
                    String uid = text(r, "plugin_unique_identifier");
                    if (uid != null) {
                        keys.add(key("serverless:runtime:" + uid));
                    }
                }
                case AI_MODEL_INSTALLATIONS -> {
                    String tenant = text(r, "tenant_id");
                    if (tenant != null) {
                        keys.add(key("model_installations:tenant_id:" + tenant));
                    }
                }
                default -> {
                    // never cached by the daemon
                }
            }
        }
        for (String k : keys) {
            if (!isRowCacheKey(k)) {
                throw new IllegalStateException("not a row cache key of the daemon: " + k);
            }
        }
        return new Stale(List.copyOf(keys), declarations);
    }

    /** Whether a key is one of the daemon's cached rows under our prefix (never a lock, session or state key). */
    public boolean isRowCacheKey(String key) {
        String p = prefix + ":";
        return key.startsWith(p) && ROW_CACHE_NAMESPACES.stream().anyMatch(ns -> key.startsWith(ns, p.length())
                && key.length() > p.length() + ns.length());
    }

    private String autoTyped(String goType, String logicalKey) {
        return key("auto_type:" + goType + ":" + logicalKey);
    }

    private String key(String logicalKey) {
        return prefix + ":" + logicalKey;
    }

    private JsonNode parse(String rowJson) {
        try {
            return json.readTree(rowJson);
        } catch (IOException e) {
            throw new UncheckedIOException("a changed row is not JSON", e);
        }
    }

    /** A column's text as the daemon's Go string holds it; null when the column is SQL NULL or absent. */
    private static String text(JsonNode row, String column) {
        JsonNode v = row.get(column);
        return v == null || v.isNull() ? null : v.asText();
    }
}
