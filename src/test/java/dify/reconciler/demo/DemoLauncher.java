package dify.reconciler.demo;

import dify.reconciler.catalog.GlobalTenant;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DaemonWorkingPath;
import dify.reconciler.testsupport.DifyApiDatabase;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.DifyPackageBuilder;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.RealDeclarations;
import dify.reconciler.testsupport.S3ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The demo behind {@code ./mvnw -Pdemo package}: an embedded PostgreSQL and an embedded S3 server (S3Proxy),
 * a realistic plugin-daemon dataset with the drift users actually meet, and the packaged one-shot scan
 * run against them as a Job would run it. Test scope only: nothing here ships in the production jar.
 */
public final class DemoLauncher {

    private DemoLauncher() {
    }

    public static void main(String[] args) throws Exception {
        int tenants = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        int plugins = args.length > 1 ? Integer.parseInt(args[1]) : 12;
        say("Starting embedded PostgreSQL and S3Proxy ...");
        try (EmbeddedPostgres postgres = EmbeddedPostgres.startDedicated(); S3ProxyServer s3 = S3ProxyServer.start()) {
            TestDatabase db = SchemaFixture.CURRENT.applyTo(postgres.createDatabase());
            String bucket = s3.createBucket("dify-plugins");
            DaemonRows rows = DaemonRows.on(db);
            S3ObjectWriter objects = new S3ObjectWriter(s3.client(), bucket);
            Instant lastWeek = Instant.now().minus(Duration.ofDays(7));
            say("Seeding " + tenants + " tenants x " + plugins + " plugins (real .difypkg packages, icons, rows) ...");
            DifyDataset dataset = new DifyDataset(tenants, plugins, DaemonRows.CATEGORY_TABLES)
                    .seed(rows, objects, StorageLayout.DEFAULT, lastWeek);
            plantDrift(dataset, rows.at(lastWeek), objects, s3, bucket);
            Path cwd = Files.createTempDirectory("dify-plugin-daemon-cwd");
            DaemonWorkingPath workingPath = new DaemonWorkingPath(cwd);
            layOutWorkingPath(dataset, workingPath, lastWeek);
            // Dify's own database beside the daemon's: the last workspace was deleted in Dify, its plugins stayed
            // (installation_tenant_missing).
            TestDatabase dify = DifyApiDatabase.create(postgres, dataset.tenants.subList(0, dataset.tenants.size() - 1));

            Map<String, String> env = Map.ofEntries(
                    Map.entry("DB_HOST", db.host()), Map.entry("DB_PORT", Integer.toString(db.port())),
                    Map.entry("DB_USERNAME", db.username()), Map.entry("DB_PASSWORD", db.password()),
                    Map.entry("DB_DATABASE", db.name()), Map.entry("PLUGIN_STORAGE_TYPE", "s3"),
                    Map.entry("PLUGIN_STORAGE_OSS_BUCKET", bucket), Map.entry("S3_ENDPOINT", s3.endpoint().toString()),
                    Map.entry("S3_USE_AWS", "false"), Map.entry("AWS_ACCESS_KEY", s3.accessKey()),
                    Map.entry("AWS_SECRET_KEY", s3.secretKey()), Map.entry("AWS_REGION", s3.region()),
                    Map.entry("RECONCILER_GRACE_PERIOD", "0s"), Map.entry("RECONCILER_DEEP_VERIFY", "true"),
                    Map.entry("RECONCILER_WORKING_PATH", cwd.toString()), Map.entry("RECONCILER_NODE_NAME", "plugin-daemon-0"),
                    Map.entry("RECONCILER_DIFY_DATABASE", dify.name()));
            say("Running: java -jar target/quarkus-app/quarkus-run.jar scan --format text"
                    + "   (with the daemon's DB_* / PLUGIN_STORAGE_* / S3_* / AWS_* variables, deep verify on)");
            Process scan = PackagedApp.builder(env, List.of(), "scan", "--format", "text").inheritIO().start();
            int exit = scan.waitFor();
            workingPath.deleteAll();
            say("Exit code " + exit + " (0 clean, 1 drift found, 2 scan failed). Add --output report.json"
                    + " --format json for the machine-readable report.");
            if (exit == 2) {
                throw new IllegalStateException("the demo scan failed; see the output above");
            }
        }
    }

    /** The drift users report: each one is what a crash, a bucket copy or a manual fix leaves behind. */
    private static void plantDrift(DifyDataset d, DaemonRows rows, S3ObjectWriter objects, S3ProxyServer s3, String bucket) {
        // A bucket copy that rewrote ':' — the daemon logs "plugin_unique_identifier is not valid" every 30 s.
        DifyDataset.Plugin email = d.localPlugin(0);
        objects.put("plugin/" + email.uid().replace(':', '_'), email.pkg().bytes());
        // A restore without the installed copy — "no available node, plugin runtime not found".
        DifyDataset.Plugin lost = d.localPlugin(1);
        s3.client().deleteObject(b -> b.bucket(bucket).key("plugin/" + lost.uid()));
        // Someone "fixed" a tenant by deleting its installation row by hand: refers is now one above the count
        // (refers_drift) and the category row is orphaned.
        DifyDataset.Installation manual = d.installations.get(2);
        rows.execute("DELETE FROM plugin_installations WHERE id = ?", manual.id());
        // A restored backup older than the last install: refers one below the count (critical refers_too_low).
        // The next uninstall of this plugin by any tenant would delete it for every other tenant.
        DifyDataset.Plugin shared = d.localPlugin(4);
        rows.execute("UPDATE plugins SET refers = refers - 1 WHERE id = ?", shared.pluginRowId());
        // An upload that crashed after the package was written: an orphaned package.
        BuiltPackage crashed = DifyPackageBuilder.aPackage().author("acme").name("half_uploaded").version("0.3.1").build();
        objects.put("plugin_packages/" + crashed.identifier(), crashed.bytes());
        // Endpoints every uninstall leaves behind.
        rows.insertEndpoint(UUID.randomUUID().toString(), d.localPlugin(2).pluginId(), "hook-left-behind", "default");
        // A serverless plugin a workspace installed under daemon 0.4.1 with PLUGIN_ALLOW_ORPHANS, which also installed
        // it for the global tenant; the workspace has uninstalled it since, and the global row alone keeps refers at
        // 1 and the plugin alive for nobody (legacy_global_installation).
        DifyDataset.Plugin serverless = d.plugin("serverless");
        UUID globalTenant = UUID.fromString(GlobalTenant.ID);
        rows.insertInstallation(globalTenant, serverless.pluginId(), serverless.uid(), "serverless", "marketplace");
        rows.insertCategoryRow(serverless.categoryTable(), globalTenant, serverless.pluginId().split("/")[1],
                serverless.uid(), serverless.pluginId());
        DifyDataset.Installation workspace = d.installations.stream().filter(i -> i.plugin() == serverless).findFirst()
                .orElseThrow();
        rows.execute("DELETE FROM plugin_installations WHERE id = ?", workspace.id());
        rows.execute("DELETE FROM " + workspace.categoryTable() + " WHERE id = ?", workspace.categoryRowId());
        // serverless_runtimes restored (data only) into a table created without its unique constraint, then a second
        // runtime row for the same plugin: the daemon's upsert of runtimes fails there (duplicate_rows).
        rows.execute("ALTER TABLE serverless_runtimes DROP CONSTRAINT uni_serverless_runtimes_plugin_unique_identifier");
        rows.insertServerlessRuntime(serverless.uid(), "https://functions.example/serverless_tool-retry",
                "serverless-tool-fn", "aws_lambda", serverless.pkg().checksum());
        // A truncated package (only deep verify sees it).
        DifyDataset.Plugin truncated = d.localPlugin(3);
        objects.put("plugin_packages/" + truncated.uid(), java.util.Arrays.copyOf(truncated.pkg().bytes(), 200));
        // A tool plugin version that sets 'multiple' on a files parameter (dify#41605): since Dify 1.17 the Tools page
        // of every workspace that installed it is empty (critical declaration_invalid). Its other tool's select
        // parameter with 'multiple' is fine.
        DifyDataset.Plugin tool = d.plugins.stream().filter(p -> p.isLocal() && "tool_installations".equals(p.categoryTable()))
                .reduce((first, second) -> second).orElseThrow();
        String declaration = RealDeclarations.tool(tool.pkg().author(), tool.pkg().name(), tool.pkg().version(), tool.assetId());
        rows.execute("UPDATE plugin_declarations SET declaration = ? WHERE id = ?",
                RealDeclarations.changed(declaration, "tool.tools[1].parameters[1].multiple", "true"), tool.declarationId());
    }

    /**
     * One daemon node's working path: a folder per installed local plugin, the folder an uninstall left behind
     * (working_dir_orphaned) and an environment whose standard library is gone (working_dir_broken).
     */
    private static void layOutWorkingPath(DifyDataset d, DaemonWorkingPath cwd, Instant at) throws IOException {
        List<DifyDataset.Plugin> local = d.plugins.stream().filter(DifyDataset.Plugin::isLocal).toList();
        for (DifyDataset.Plugin p : local.subList(1, local.size())) {
            cwd.installedOnTheImagesPython(p.uid(), "requirements.txt");
        }
        // "No module named 'encodings'" (dify#35250): the environment's standard library is gone.
        Path broken = cwd.installedSelfContained(local.get(0).uid());
        try (Stream<Path> encodings = Files.list(broken.resolve(".venv/lib/python3.12/encodings"))) {
            for (Path file : encodings.toList()) {
                cwd.delete(file);
            }
        }
        Files.delete(broken.resolve(".venv/lib/python3.12/encodings"));
        // The last uninstall of an older version left its folder (daemon#797).
        cwd.installedOnTheImagesPython("langgenius/uninstalled_tool:0.1.0@" + "7e".repeat(32), "requirements.txt");
        cwd.ageAll(at);
    }

    private static void say(String line) {
        System.out.println("[demo] " + line);
    }
}
