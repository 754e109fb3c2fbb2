package dify.reconciler.testsupport;

import dify.reconciler.catalog.StorageLayout;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * A realistic, consistent plugin-daemon dataset: real {@code .difypkg} packages with their identifiers,
 * declarations whose icons point at content-addressed assets, installations with their category rows,
 * endpoints, a remote (debugging) plugin, a serverless plugin, tenant storage with persistence objects,
 * and a finished install task. Seeded as it is, it holds no drift; tests then break it one thing at a time.
 */
public final class DifyDataset {

    /** One plugin as seeded. {@code pkg} is null for the remote plugin (it has no package). */
    public record Plugin(String uid, String pluginId, String kind, BuiltPackage pkg, String assetId, byte[] iconBytes,
            UUID pluginRowId, UUID declarationId, String categoryTable) {

        public boolean isLocal() {
            return "local".equals(kind);
        }
    }

    /** One installation as seeded, with its category row (null table for endpoint-only plugins). */
    public record Installation(UUID id, UUID tenantId, Plugin plugin, String categoryTable, UUID categoryRowId) {
    }

    private final int tenantCount;
    private final int localPluginCount;
    private final List<String> categoryTables;

    public final List<UUID> tenants = new ArrayList<>();
    public final List<Plugin> plugins = new ArrayList<>();
    public final List<Installation> installations = new ArrayList<>();
    public UUID tenantStorageId;
    /** The serverless plugin's {@code serverless_runtimes} row. */
    public UUID serverlessRuntimeId;
    public String persistencePrefix;

    /**
     * @param categoryTables the category tables the schema has (the legacy layout lacks two of them)
     */
    public DifyDataset(int tenants, int localPlugins, List<String> categoryTables) {
        this.tenantCount = tenants;
        this.localPluginCount = localPlugins;
        this.categoryTables = categoryTables;
    }

    /** Seeds rows (stamped {@code at}) and objects; local objects also get {@code at} as their mtime. */
    public DifyDataset seed(DaemonRows rowsNow, ObjectWriter objects, StorageLayout layout, Instant at) {
        DaemonRows rows = rowsNow.at(at);
        for (int t = 0; t < tenantCount; t++) {
            tenants.add(new UUID(0x1000_0000_0000_4000L + t, 0x8000_0000_0000_0000L + t));
        }
        for (int i = 0; i < localPluginCount; i++) {
            Plugin p = uploadedPackage(rows, objects, layout, at, "plugin" + i, "0.0." + (i + 1), "local",
                    categoryTables.isEmpty() || i % 6 == 5 ? null : categoryTables.get(i % categoryTables.size()));
            plugins.add(p);
        }
        Plugin serverless = uploadedPackage(rows, objects, layout, at, "serverless_tool", "1.0.0", "serverless",
                categoryTables.get(0));
        plugins.add(serverless);
        serverlessRuntimeId = rows.insertServerlessRuntime(serverless.uid(), "https://functions.example/serverless_tool",
                "serverless-tool-fn", "aws_lambda", serverless.pkg().checksum());

        String remoteUid = "langgenius/remote_debug:0.0.1@" + "ab".repeat(32);
        String remoteDeclaration = "{\"name\":\"remote_debug\",\"author\":\"langgenius\",\"icon\":\"\"}";
        UUID remoteRow = rows.insertPlugin(remoteUid, "langgenius/remote_debug", 0, "remote", remoteDeclaration);
        plugins.add(new Plugin(remoteUid, "langgenius/remote_debug", "remote", null, null, null, remoteRow, null,
                categoryTables.get(0)));

        for (Plugin p : plugins) {
            List<UUID> installers = "local".equals(p.kind()) ? tenants : List.of(tenants.get(0));
            for (UUID tenant : installers) {
                String runtime = p.kind();
                String source = "remote".equals(p.kind()) ? "remote" : "marketplace";
                UUID installation = rows.insertInstallation(tenant, p.pluginId(), p.uid(), runtime, source);
                UUID categoryRow = null;
                if (p.categoryTable() != null) {
                    categoryRow = rows.insertCategoryRow(p.categoryTable(), tenant, p.pluginId().split("/")[1],
                            p.uid(), p.pluginId());
                } else {
                    rows.insertEndpoint(tenant.toString(), p.pluginId(), "hook-" + installation, "default");
                }
                installations.add(new Installation(installation, tenant, p, p.categoryTable(), categoryRow));
            }
            if (p.pluginRowId() != null) {
                rows.execute("UPDATE plugins SET refers = ? WHERE id = ?", (long) installers.size(), p.pluginRowId());
            }
        }
        // Plugin key-value data of one tenant, and the size the daemon recorded for it.
        Plugin first = plugins.get(0);
        persistencePrefix = layout.persistence() + tenants.get(0) + "/" + first.pluginId() + "/";
        byte[] a = "{\"conversation\":42}".getBytes(StandardCharsets.UTF_8);
        byte[] b = "x".repeat(300).getBytes(StandardCharsets.UTF_8);
        put(objects, persistencePrefix + "state/a.json", a, at);
        put(objects, persistencePrefix + "cache/b", b, at);
        tenantStorageId = rows.insertTenantStorage(tenants.get(0).toString(), first.pluginId(), a.length + b.length);
        rows.insertInstallTask("success", tenants.get(0), 1, 1);
        return this;
    }

    /** A package as the daemon uploads it: assets, then the package, then the declaration; plus its plugins row. */
    private Plugin uploadedPackage(DaemonRows rows, ObjectWriter objects, StorageLayout layout, Instant at, String name,
            String version, String kind, String categoryTable) {
        byte[] icon = ("<svg xmlns='http://www.w3.org/2000/svg'><title>" + name + "</title></svg>")
                .getBytes(StandardCharsets.UTF_8);
        BuiltPackage pkg = DifyPackageBuilder.aPackage().author("langgenius").name(name).version(version)
                .icon("icon.svg", icon).file("main.py", "print('" + name + "')\n").build();
        String assetId = BuiltPackage.assetId("icon.svg", icon);
        put(objects, layout.assets() + assetId, icon, at);
        put(objects, pkg.key(layout.packages()), pkg.bytes(), at);
        if ("local".equals(kind)) {
            put(objects, pkg.key(layout.installed()), pkg.bytes(), at);
        }
        String pluginId = "langgenius/" + name;
        UUID declaration = rows.insertDeclaration(pkg.identifier(), pluginId, declarationJson(pkg, assetId, categoryTable));
        UUID pluginRow = rows.insertPlugin(pkg.identifier(), pluginId, 0, kind, null);
        return new Plugin(pkg.identifier(), pluginId, kind, pkg, assetId, icon, pluginRow, declaration, categoryTable);
    }

    /**
     * A declaration as the daemon stores it: manifest JSON with icon fields rewritten to asset ids; tool and model
     * plugins carry their provider declaration, valid by Dify's rules (the shape of real marketplace packages).
     */
    public static String declarationJson(BuiltPackage pkg, String assetId, String categoryTable) {
        if ("tool_installations".equals(categoryTable)) {
            return RealDeclarations.tool(pkg.author(), pkg.name(), pkg.version(), assetId);
        } else if ("ai_model_installations".equals(categoryTable)) {
            return RealDeclarations.model(pkg.author(), pkg.name(), pkg.version(), assetId);
        }
        return "{\"version\":\"" + pkg.version() + "\",\"type\":\"plugin\",\"author\":\"" + pkg.author() + "\",\"name\":\""
                + pkg.name() + "\",\"label\":{\"en_US\":\"" + pkg.name() + "\"},\"icon\":\"" + assetId + "\""
                + ",\"resource\":{\"memory\":268435456},\"meta\":{\"version\":\"0.0.1\",\"arch\":[\"amd64\"]}}";
    }

    /** A syntactically valid identifier with a made-up checksum, for rows that need no package. */
    public static String fakeUid(String name, int n) {
        return "langgenius/" + name + ":0.0." + n + "@" + HexFormat.of().formatHex(
                java.nio.ByteBuffer.allocate(32).putLong(0, n).putLong(8, name.hashCode()).array());
    }

    public Plugin localPlugin(int index) {
        return plugins.stream().filter(Plugin::isLocal).toList().get(index);
    }

    public Plugin plugin(String kind) {
        return plugins.stream().filter(p -> p.kind().equals(kind)).findFirst().orElseThrow();
    }

    private static void put(ObjectWriter objects, String key, byte[] bytes, Instant at) {
        objects.put(key, bytes);
        if (objects instanceof LocalObjectWriter local) {
            local.setLastModified(key, at);
        }
    }
}
