package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.Await;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.DifyPackageBuilder;
import dify.reconciler.testsupport.EagerRemediation;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.RunningService;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.StoreUnderTest;
import dify.reconciler.testsupport.StoresUnderTest;
import dify.reconciler.testsupport.Sweep;
import dify.reconciler.testsupport.TableDump;
import dify.reconciler.testsupport.TestDatabase;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The object remedies in the packaged jar on every backend, configured with the daemon's own variables only:
 * quarantines (an orphaned package, an invalid installed key, an orphaned asset), copies (a missing installed copy, a
 * missing package), a re-created asset and a replaced installed copy. Planning changes no object; armed, exactly the
 * targets change (a replaced object's old bytes kept under the quarantine prefix first), the next scan is clean, no row
 * changes, and the restore gives back every object's exact bytes. On S3 through the one-shot commands ({@code plan} to a
 * file, an unarmed and an armed {@code apply}, {@code scan}, an unarmed and an armed {@code restore --all}), with the
 * folder placeholders {@code plugin/} and {@code plugin/junjiem/} quarantined with the other actions; on the other
 * backends the same steps in one armed service with plan approval, through its API (one launch instead of four). One
 * backend while developing it: {@code -Dtest.stores=<name>}.
 */
class EveryStoreRoundTripIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final StorageLayout LAYOUT = StorageLayout.DEFAULT;
    private static final String QUARANTINE = "reconciler-quarantine/";
    private static final String TOKEN = "round-trip-token";
    private static final String KINDS = "package_orphaned,invalid_installed_key,asset_orphaned,installed_object_missing,"
            + "package_missing,asset_missing,installed_copy_differs";

    @ParameterizedTest(name = "{0}")
    @MethodSource("dify.reconciler.testsupport.StoresUnderTest#all")
    @Tag(Sweep.TAG)
    void objectRemediesRoundTrip(StoresUnderTest.Backend backend, @TempDir Path tmp) throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase(); StoreUnderTest store = backend.open()) {
            DifyDataset dataset = new DifyDataset(2, 6, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), store.writer(),
                    LAYOUT, Instant.now().minus(Duration.ofDays(1)));
            Map<String, String> env = db.ownerEnvironment(tmp.resolve("unused"));
            env.remove("PLUGIN_STORAGE_LOCAL_ROOT");
            env.putAll(store.daemonEnvironment());
            EagerRemediation.on(env);
            env.put("RECONCILER_DEEP_VERIFY", "true"); // a differing installed copy is found by reading its bytes
            env.put("RECONCILER_REMEDIATION_KINDS", KINDS);
            Map<String, List<String>> tables = TableDump.daemon(db);

            Map<String, String> moved = new TreeMap<>(); // daemon key quarantined -> its hash
            Map<String, String> written = new TreeMap<>(); // daemon key written by apply -> its hash after
            String orphan = LAYOUT.packages() + DifyDataset.fakeUid("ghost", 1);
            store.writer().put(orphan, "a package nobody declared");
            String invalid = LAYOUT.installed() + "langgenius/broken_0.0.1@abc";
            store.writer().put(invalid, "a key the daemon cannot parse");
            byte[] icon = "<svg>stale</svg>".getBytes(StandardCharsets.UTF_8);
            String staleAsset = LAYOUT.assets() + BuiltPackage.assetId("stale.svg", icon);
            store.writer().put(staleAsset, icon);

            DifyDataset.Plugin lostInstalled = dataset.localPlugin(1);
            store.delete(lostInstalled.pkg().key(LAYOUT.installed()));
            written.put(lostInstalled.pkg().key(LAYOUT.installed()), sha256(lostInstalled.pkg().bytes()));
            DifyDataset.Plugin lostPackage = dataset.localPlugin(2);
            store.delete(lostPackage.pkg().key(LAYOUT.packages()));
            written.put(lostPackage.pkg().key(LAYOUT.packages()), sha256(lostPackage.pkg().bytes()));
            DifyDataset.Plugin lostAsset = dataset.localPlugin(3);
            store.delete(LAYOUT.assets() + lostAsset.assetId());
            written.put(LAYOUT.assets() + lostAsset.assetId(), sha256(lostAsset.iconBytes()));
            DifyDataset.Plugin differs = dataset.localPlugin(0);
            BuiltPackage signed = DifyPackageBuilder.aPackage().author("langgenius").name(differs.pkg().name())
                    .version(differs.pkg().version()).icon("icon.svg", differs.iconBytes())
                    .file("main.py", "print('" + differs.pkg().name() + "')\n").comment("signature: abc").build();
            String differsKey = differs.pkg().key(LAYOUT.installed());
            store.writer().put(differsKey, signed.bytes());
            written.put(differsKey, sha256(differs.pkg().bytes()));
            List<String> quarantined = new ArrayList<>(List.of(orphan, invalid, staleAsset));
            boolean s3 = backend.name().equals("s3");
            if (s3) {
                // The folder placeholders S3 consoles and copy tools create: empty objects the daemon lists under plugin/
                // and logs as an invalid (empty) identifier every 30 s, the case this product started from. Not
                // langgenius/: S3Proxy's filesystem backend keeps a placeholder as a folder whose modified time moves
                // when apply writes a copy below it, so apply (rightly) skips it as changed since the scan.
                for (String placeholder : List.of(LAYOUT.installed(), LAYOUT.installed() + "junjiem/")) {
                    store.writer().put(placeholder, "");
                    quarantined.add(placeholder);
                }
            }
            int actions = 4 + quarantined.size();
            Map<String, String> planted = store.contents();
            for (String key : quarantined) {
                moved.put(key, planted.get(store.storeKey(key)));
            }

            // Each action is one item to restore, the replaced installed copy two (its old bytes, the copy we wrote).
            Expected after = new Expected(planted, expected(store, planted, moved, written, differsKey), tables, actions, actions + 1);
            if (s3) {
                throughTheCommands(backend.name(), store, db, env, tmp.resolve("plan.json"), after, orphan);
            } else {
                throughTheService(backend.name(), store, db, env, after);
            }
        }
    }

    /** What the round trip must find: the store and tables as planted, the store after the apply, the counts. */
    private record Expected(Map<String, String> planted, Map<String, String> applied, Map<String, List<String>> tables, int actions,
            int items) {
    }

    /**
     * The store once the apply is done: each quarantined key under the quarantine prefix, the replaced installed copy's old
     * bytes kept there too before it is overwritten, and each written key holding its hash.
     */
    private static Map<String, String> expected(StoreUnderTest store, Map<String, String> planted, Map<String, String> moved,
            Map<String, String> written, String differsKey) {
        Map<String, String> expected = new TreeMap<>(planted);
        moved.forEach((key, hash) -> {
            expected.remove(store.storeKey(key));
            expected.put(store.storeKey(QUARANTINE + key), hash);
        });
        expected.put(store.storeKey(QUARANTINE + differsKey), planted.get(store.storeKey(differsKey)));
        written.forEach((key, hash) -> expected.put(store.storeKey(key), hash));
        return expected;
    }

    /**
     * The one-shot commands (S3): {@code plan} to a file, an unarmed then an armed {@code apply} of it, {@code scan}, an
     * unarmed then an armed {@code restore --all}. Whether an apply or a restore may write is decided before any store is
     * touched, the same for every backend: the unarmed launches run on this backend only.
     */
    private static void throughTheCommands(String backend, StoreUnderTest store, TestDatabase db, Map<String, String> env, Path planFile,
            Expected e, String orphan) throws Exception {
        PackagedApp.Outcome plan = PackagedApp.run(env, "plan", "--output", planFile.toString());
        assertEquals(1, plan.exitCode(), backend + ": " + plan.stdout() + plan.stderr());
        JsonNode doc = JSON.readTree(planFile.toFile());
        assertEquals(e.actions(), doc.get("actions").size(), backend + ": " + doc);
        assertTrue(doc.get("actions").toString().contains("\"key\":\"" + LAYOUT.installed() + "\""), doc.toString());
        assertEquals(e.planted(), store.contents(), backend + ": plan changes no object");

        PackagedApp.Outcome dry = PackagedApp.run(env, "apply", "--plan", planFile.toString());
        assertEquals(0, dry.exitCode(), backend + ": " + dry.stdout() + dry.stderr());
        assertTrue(dry.stdout().contains("[DRY RUN] would quarantine_object " + orphan), dry.stdout());
        assertEquals(e.planted(), store.contents(), backend + ": an unarmed apply changes no object");

        Map<String, String> armed = EagerRemediation.armed(env);
        PackagedApp.Outcome apply = PackagedApp.run(armed, "apply", "--plan", planFile.toString());
        assertEquals(0, apply.exitCode(), backend + ": " + apply.stdout() + apply.stderr());
        assertTrue(apply.stdout().contains("applied " + e.actions() + ","), backend + ": " + apply.stdout());
        assertEquals(e.applied(), store.contents(), backend + ": exactly the targets changed");
        assertEquals(e.tables(), TableDump.daemon(db), backend + ": object remedies change no row");

        PackagedApp.Outcome scan = PackagedApp.run(env, "scan", "--format", "json");
        assertEquals(0, scan.exitCode(), backend + ": " + scan.stdout() + scan.stderr());
        assertEquals(0, JSON.readTree(scan.stdout()).get("summary").get("total").asInt(), scan.stdout());

        // Unarmed, restore lists what it would put back: each item once, nothing changed.
        PackagedApp.Outcome dryRestore = PackagedApp.run(env, "restore", "--all");
        assertEquals(0, dryRestore.exitCode(), dryRestore.stdout() + dryRestore.stderr());
        assertEquals(e.items(), dryRestore.stdout().lines().filter(l -> l.startsWith("[DRY RUN] would restore")).count(),
                dryRestore.stdout());
        assertEquals(1, dryRestore.stdout().lines().filter(l -> l.contains(orphan)).count(), dryRestore.stdout());
        assertEquals(e.applied(), store.contents(), "an unarmed restore changes no object");
        PackagedApp.Outcome restore = PackagedApp.run(armed, "restore", "--all");
        assertEquals(0, restore.exitCode(), backend + ": " + restore.stdout() + restore.stderr());
        assertTrue(restore.stdout().contains("Restored " + e.items() + " of " + e.items()), backend + ": " + restore.stdout());
        assertEquals(e.planted(), store.contents(), backend + ": restore puts back every object's exact bytes");
        assertEquals(e.tables(), TableDump.daemon(db), backend + ": restore changes no row");
    }

    /**
     * The other backends in one packaged service, armed, with plan approval, through its API: a scan publishes the plan
     * (no object changed), the approved plan is applied by the next scan, the scan after it is clean, and the restore of
     * the applying run gives every object back. The same steps as the commands' (a plan, its apply, a scan, a restore)
     * and the same assertions, in one launch instead of four: which process runs them is not what this test is about
     * (the commands' plan file and output are {@link #throughTheCommands}', on S3).
     */
    private static void throughTheService(String backend, StoreUnderTest store, TestDatabase db, Map<String, String> env, Expected e)
            throws Exception {
        Map<String, String> service = EagerRemediation.armed(env);
        service.put("RECONCILER_REMEDIATION_APPROVAL", "required");
        service.put("RECONCILER_API_TOKEN", TOKEN);
        service.put("RECONCILER_INTERVAL", "off");
        service.put("RECONCILER_LEADER_RETRY_INTERVAL", "1s");
        try (RunningService s = RunningService.start(service)) {
            Await.until(backend + ": leading", Duration.ofSeconds(60), () -> "1.0".equals(s.metric("plugin_reconciler_leader")));
            scan(s, backend);
            HttpResponse<String> pending = s.get("/api/v1/plans/pending");
            assertEquals(200, pending.statusCode(), backend + ": " + pending.body() + s.log());
            JsonNode published = JSON.readTree(pending.body());
            assertEquals("pending", published.get("status").asText(), pending.body());
            assertEquals(e.actions(), published.at("/plan/actions").size(), backend + ": " + pending.body());
            assertEquals(e.planted(), store.contents(), backend + ": planning changes no object");

            String planId = published.get("planId").asText();
            HttpResponse<String> approved = s.post("/api/v1/plans/" + planId + "/approve");
            assertEquals(200, approved.statusCode(), backend + ": " + approved.body());
            String applyRun = scan(s, backend);
            JsonNode plan = JSON.readTree(s.get("/api/v1/plan").body());
            assertTrue(plan.get("applied").asBoolean(), backend + ": " + plan);
            assertEquals(e.actions(), plan.get("results").size(), backend + ": " + plan);
            for (JsonNode result : plan.get("results")) {
                assertEquals("applied", result.get("outcome").asText(), backend + ": " + plan);
            }
            assertEquals(e.applied(), store.contents(), backend + ": exactly the targets changed");
            assertEquals(e.tables(), TableDump.daemon(db), backend + ": object remedies change no row");

            HttpResponse<String> rescan = s.post("/api/v1/runs");
            assertEquals(200, rescan.statusCode(), rescan.body());
            JsonNode clean = JSON.readTree(rescan.body());
            assertEquals("success", clean.path("result").asText(), backend + ": " + rescan.body());
            assertEquals(0, clean.path("findings").asInt(-1), backend + ": the next scan is clean: " + rescan.body());

            HttpResponse<String> restore = s.post("/api/v1/restore?run=" + applyRun);
            assertEquals(200, restore.statusCode(), backend + ": " + restore.body());
            JsonNode restored = JSON.readTree(restore.body());
            assertEquals(e.items(), restored.get("restored").asInt(), backend + ": " + restore.body());
            assertEquals(e.items(), restored.get("total").asInt(), backend + ": " + restore.body());
            assertEquals(e.planted(), store.contents(), backend + ": restore puts back every object's exact bytes");
            assertEquals(e.tables(), TableDump.daemon(db), backend + ": restore changes no row");
        }
    }

    /** A scan through the API that succeeded; its run id. */
    private static String scan(RunningService s, String backend) throws Exception {
        HttpResponse<String> r = s.post("/api/v1/runs");
        assertEquals(200, r.statusCode(), backend + ": " + r.body());
        JsonNode run = JSON.readTree(r.body());
        assertEquals("success", run.get("result").asText(), backend + ": " + r.body());
        return run.get("runId").asText();
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
