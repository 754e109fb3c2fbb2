package dify.reconciler.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Seeds Dify-cloud-like volume (100,000 tenants x 15 plugins = 1.5 M installations and as many
 * category rows) through the COPY path into the current layout (all indexes in place) and prints
 * the timings. Off by default: {@code ./mvnw -o -q test -Dtest=DaemonRowsCopyBenchmarkTest -Dbench.copy=true}
 * ({@code -Dbench.tenants=N} to change the scale, {@code -Dbench.deferIndexes=true} to drop the
 * secondary indexes during the load and rebuild them after, see {@link DaemonRows#withIndexesDeferred}).
 */
@EnabledIfSystemProperty(named = "bench.copy", matches = "true")
class DaemonRowsCopyBenchmarkTest {

    static final String[] CATEGORY_OF_PLUGIN = {
        "ai_model_installations", "ai_model_installations", "ai_model_installations",
        "ai_model_installations", "ai_model_installations", "ai_model_installations",
        "tool_installations", "tool_installations", "tool_installations",
        "tool_installations", "tool_installations", "tool_installations",
        "agent_strategy_installations", "datasource_installations", "trigger_installations"};

    @Test
    void seedOnePointFiveMillionInstallationsAndCategoryRows() {
        int tenants = Integer.getInteger("bench.tenants", 100_000);
        int perTenant = CATEGORY_OF_PLUGIN.length;
        List<String> pluginIds = new ArrayList<>();
        List<String> uids = new ArrayList<>();
        for (int p = 0; p < perTenant; p++) {
            pluginIds.add("langgenius/plugin_" + p);
            uids.add(String.format(Locale.ROOT, "langgenius/plugin_%d:0.0.%d@%064x", p, p, 0xabcdefL * (p + 1)));
        }
        try (TestDatabase db = SchemaFixture.CURRENT.applyTo(EmbeddedPostgres.shared().createDatabase())) {
            DaemonRows rows = DaemonRows.on(db);
            long total = (long) tenants * perTenant;

            boolean defer = Boolean.getBoolean("bench.deferIndexes");
            System.out.println("[copy-bench] indexes " + (defer ? "dropped during COPY, rebuilt after" : "maintained during COPY"));
            long t0 = System.nanoTime();
            long[] instBox = new long[1];
            Runnable loadInstallations = () -> instBox[0] = rows.copyInstallations(total, i -> new DaemonRows.InstallationRow(
                    tenant(i / perTenant), pluginIds.get((int) (i % perTenant)), uids.get((int) (i % perTenant)), "local", "marketplace"));
            if (defer) {
                rows.withIndexesDeferred("plugin_installations", loadInstallations);
            } else {
                loadInstallations.run();
            }
            long inst = instBox[0];
            long t1 = System.nanoTime();
            assertEquals(total, inst);
            report("plugin_installations", inst, t1 - t0);

            long cats = 0;
            long tc0 = System.nanoTime();
            for (String table : DaemonRows.CATEGORY_TABLES) {
                List<Integer> plugins = new ArrayList<>();
                for (int p = 0; p < perTenant; p++) {
                    if (CATEGORY_OF_PLUGIN[p].equals(table)) {
                        plugins.add(p);
                    }
                }
                int k = plugins.size();
                long ts = System.nanoTime();
                long[] box = new long[1];
                Runnable load = () -> box[0] = rows.copyCategoryRows(table, (long) tenants * k, j -> {
                    int p = plugins.get((int) (j % k));
                    return new DaemonRows.CategoryRow(tenant(j / k), "provider_" + p, uids.get(p), pluginIds.get(p));
                });
                if (defer) {
                    rows.withIndexesDeferred(table, load);
                } else {
                    load.run();
                }
                long n = box[0];
                report(table, n, System.nanoTime() - ts);
                cats += n;
            }
            long tc1 = System.nanoTime();
            assertEquals(total, cats);
            report("all category tables", cats, tc1 - tc0);
            report("TOTAL", inst + cats, tc1 - t0);
            System.out.printf(Locale.ROOT, "[copy-bench] database size %s, heap used %d MB%n",
                    sizeOf(rows),
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
        }
    }

    static String sizeOf(DaemonRows rows) {
        return rows.queryLong("SELECT pg_database_size(current_database())") / (1 << 20) + " MB";
    }

    static void report(String what, long n, long nanos) {
        double s = nanos / 1e9;
        System.out.printf(Locale.ROOT, "[copy-bench] %-30s %,10d rows in %6.2f s = %,9.0f rows/s%n", what, n, s, n / s);
    }

    static UUID tenant(long i) {
        return new UUID(0x1234_5678_9abc_4defL, 0x8000_0000_0000_0000L | i);
    }
}
