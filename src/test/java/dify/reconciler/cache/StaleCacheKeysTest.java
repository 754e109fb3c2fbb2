package dify.reconciler.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.remediate.record.ChangedRow;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The keys are spelled as the daemon spells them (pkg/utils/cache, helper/keys.go, helper/combined.go, serverless.go). */
class StaleCacheKeysTest {

    private static final String UID = "langgenius/openai:0.0.19@6b2b2e115b1b9d34a63eb26fadcc33d74330fd2ec06071bb30b8a24b1fab107a";
    private static final String TENANT = "5d1e3c2a-2b7e-4c55-9a51-0c3f4e0b7a11";
    private static final String DECLARATION = "plugin_daemon:auto_type:github.com/langgenius/dify-plugin-daemon/pkg/entities/"
            + "plugin_entities.PluginDeclaration:declaration_cache:";

    private final StaleCacheKeys keys = new StaleCacheKeys("plugin_daemon", new ObjectMapper());

    @Test
    void aDeclarationIsStaleUnderEveryRuntimeType() {
        StaleCacheKeys.Stale s = keys.of(List.of(ChangedRow.whole("plugin_declarations",
                "{\"id\":\"x\",\"plugin_unique_identifier\":\"" + UID + "\",\"plugin_id\":\"langgenius/openai\",\"declaration\":\"{}\"}")));
        assertEquals(List.of(DECLARATION + "local:" + UID, DECLARATION + "remote:" + UID, DECLARATION + "serverless:" + UID),
                s.keys());
        assertTrue(s.declarations());
    }

    @Test
    void anInstallationIsKeyedByPluginIdAndTenant() {
        StaleCacheKeys.Stale s = keys.of(List.of(ChangedRow.whole("plugin_installations", "{\"tenant_id\":\"" + TENANT
                + "\",\"plugin_id\":\"langgenius/openai\",\"plugin_unique_identifier\":\"" + UID + "\"}")));
        assertEquals(List.of("plugin_daemon:auto_type:github.com/langgenius/dify-plugin-daemon/internal/types/models."
                + "PluginInstallation:plugin_id:langgenius/openai:tenant_id:" + TENANT), s.keys());
        assertFalse(s.declarations());
    }

    @Test
    void endpointsServerlessRuntimesAndModelInstallations() {
        assertEquals(List.of("plugin_daemon:auto_type:github.com/langgenius/dify-plugin-daemon/internal/types/models.Endpoint"
                + ":hook_id:hook-1"), keys.of(List.of(ChangedRow.whole("endpoints", "{\"hook_id\":\"hook-1\",\"tenant_id\":\"t\"}")))
                        .keys());
        assertEquals(List.of("plugin_daemon:serverless:runtime:" + UID), keys.of(List.of(ChangedRow.whole("serverless_runtimes",
                "{\"plugin_unique_identifier\":\"" + UID + "\",\"function_url\":\"https://f\"}"))).keys());
        assertEquals(List.of("plugin_daemon:model_installations:tenant_id:" + TENANT), keys.of(List.of(ChangedRow.whole(
                "ai_model_installations", "{\"tenant_id\":\"" + TENANT + "\",\"provider\":\"openai\"}"))).keys());
    }

    @Test
    void rowsTheDaemonNeverCachesMakeNothingStale() {
        for (String table : List.of("tool_installations", "agent_strategy_installations", "datasource_installations",
                "trigger_installations", "plugin_readme_records", "install_tasks", "tenant_storages")) {
            assertEquals(List.of(), keys.of(List.of(ChangedRow.whole(table, "{\"tenant_id\":\"" + TENANT
                    + "\",\"plugin_unique_identifier\":\"" + UID + "\",\"plugin_id\":\"langgenius/openai\"}"))).keys(), table);
        }
    }

    @Test
    void aRefersRepairMakesNothingStaleButARemovedPluginRowItsDeclaration() {
        String plugin = "{\"plugin_unique_identifier\":\"" + UID + "\",\"refers\":1,\"install_type\":\"local\"}";
        assertEquals(List.of(), keys.of(List.of(new ChangedRow("plugins", plugin, Set.of("refers")))).keys(),
                "refers is never cached");
        assertEquals(3, keys.of(List.of(ChangedRow.whole("plugins", plugin))).keys().size());
    }

    @Test
    void identifiersAreKeptVerbatimAndNullColumnsGiveNoKey() {
        String odd = "/junjiem/mcp_see_agent:0.2.2@2b54607cf4d6a03b39cdae1425af2d8bafd4dd87f3eef6dc3eaaa945c71c2231";
        assertEquals("plugin_daemon:serverless:runtime:" + odd, keys.of(List.of(ChangedRow.whole("serverless_runtimes",
                "{\"plugin_unique_identifier\":\"" + odd + "\"}"))).keys().get(0));
        assertEquals(List.of(), keys.of(List.of(ChangedRow.whole("endpoints", "{\"hook_id\":null}"))).keys());
        assertEquals(List.of(), keys.of(List.of(ChangedRow.whole("plugin_installations", "{\"plugin_id\":\"a/b\"}"))).keys());
    }

    @Test
    void severalRowsGiveEachKeyOnceUnderTheConfiguredPrefix() {
        StaleCacheKeys custom = new StaleCacheKeys("tenant_a", new ObjectMapper());
        String row = "{\"plugin_unique_identifier\":\"" + UID + "\"}";
        List<String> k = custom.of(List.of(ChangedRow.whole("plugins", row), ChangedRow.whole("plugin_declarations", row),
                ChangedRow.whole("serverless_runtimes", row))).keys();
        assertEquals(4, k.size(), k.toString());
        assertTrue(k.stream().allMatch(key -> key.startsWith("tenant_a:")), k.toString());
    }

    @Test
    void onlyRowCacheKeysPassTheAllowList() {
        assertTrue(keys.isRowCacheKey("plugin_daemon:serverless:runtime:" + UID));
        assertTrue(keys.isRowCacheKey(DECLARATION + "local:" + UID));
        for (String k : List.of("plugin_daemon:env_init_lock:" + UID, "plugin_daemon:serverless_launch_lock_" + UID,
                "plugin_daemon:serverless:runtime:", "plugin_daemon:cluster:status", "plugin_daemon:session_info:abc",
                "plugin_daemon:persistence:" + TENANT + ":langgenius/openai:k", "other:serverless:runtime:" + UID,
                "plugin_daemon_x:serverless:runtime:" + UID)) {
            assertFalse(keys.isRowCacheKey(k), k);
        }
    }
}
