package dify.reconciler.remediate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.GlobalTenant;
import dify.reconciler.catalog.KeyOrder;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.PluginIdentifier;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.detect.AssetDetector;
import dify.reconciler.detect.DatabaseConsistencyDetector;
import dify.reconciler.detect.FindingSink;
import dify.reconciler.detect.GraceWindow;
import dify.reconciler.detect.InstalledObjectDetector;
import dify.reconciler.detect.PackageDetector;
import dify.reconciler.detect.RowDetector;
import dify.reconciler.detect.TenantMissingDetector;
import dify.reconciler.detect.TenantStorageDetector;
import dify.reconciler.inventory.DeclarationRow;
import dify.reconciler.inventory.InstallationRow;
import dify.reconciler.inventory.InstallationTally;
import dify.reconciler.inventory.PluginRow;
import dify.reconciler.inventory.TableRow;
import dify.reconciler.inventory.TenantFootprint;
import dify.reconciler.inventory.TenantStorageRow;
import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationCandidate;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.WithheldItem;
import dify.reconciler.remediate.plan.WithheldReason;
import dify.reconciler.remediate.planner.ActionsWeMake;
import dify.reconciler.remediate.planner.PlanDocument;
import dify.reconciler.remediate.planner.RemediationPlanner;
import dify.reconciler.remediate.planner.Remedies;
import dify.reconciler.state.FindingHistory;
import dify.reconciler.testsupport.HostileInput;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The planner and the applier agree (issue: a plan the applier refused on a bucket with the folder placeholder
 * {@code plugin/}). Property over seeded edge inputs fed to the real detectors: placeholders of every prefix and
 * nested ones, look-alike colons, leading slashes, Windows separators, lost colons, the longest and shortest valid
 * identifiers, hostile keys, declarations with invalid identifiers naming missing icons, custom prefixes. With every
 * kind allowed and confirmed, every finding that has a remedy becomes an action, and the plan written as JSON and
 * read back as {@code apply} reads it (which validates every action against the layout) is accepted whole and
 * unchanged. The one exception is named and exact: an icon of a declaration whose identifier is invalid cannot be
 * re-created from a package key we would read, so it is withheld as {@code unsupported}, never planned.
 */
class PlannerMakesOnlyAcceptedActionsTest {

    private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
    private static final Instant OLD = NOW.minus(Duration.ofDays(40));
    private static final List<StorageLayout> LAYOUTS = List.of(StorageLayout.DEFAULT,
            StorageLayout.of("data/plugin_packages", "data/plugin", "media/icons", "kv"),
            StorageLayout.of("pkgs", "installed", "a", "p"));
    private static final String LOWER = "abcdefghijklmnopqrstuvwxyz0123456789_-";
    private static final String HEX = "0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyActionPlannedFromEdgeInputsIsAcceptedByApplyWhole() {
        Set<FindingKind> planned = EnumSet.noneOf(FindingKind.class);
        HostileInput.forEachSeed(120, in -> {
            StorageLayout layout = in.pick(LAYOUTS);
            FindingSink sink = detect(in, layout);
            List<Finding> findings = sink.findings();
            RemediationPlan plan = planAllKinds(findings, layout, in.chance(0.5));

            Set<FindingKind> unsupportedKinds = plan.withheld().stream().filter(w -> w.reason() == WithheldReason.UNSUPPORTED)
                    .map(WithheldItem::kind).collect(Collectors.toSet());
            assertTrue(Set.of(FindingKind.ASSET_MISSING).containsAll(unsupportedKinds), "withheld as unsupported: " + plan.withheld());
            long remediable = findings.stream().filter(f -> Remedies.remedyFor(f.kind()).isPresent()).count();
            long iconsOfInvalidDeclarations = findings.stream()
                    .filter(f -> f.kind() == FindingKind.ASSET_MISSING && !PluginIdentifier.isValid(f.pluginUniqueIdentifier()))
                    .count();
            assertEquals(remediable - iconsOfInvalidDeclarations, plan.actions().size(), "every remediable finding is planned");
            assertEquals(iconsOfInvalidDeclarations,
                    plan.withheld().stream().filter(w -> w.reason() == WithheldReason.UNSUPPORTED).count(), plan.withheld().toString());

            byte[] written = JSON.writeValueAsBytes(PlanDocument.of(plan));
            RemediationPlan read = JSON.readValue(written, PlanDocument.class).toPlan(layout);
            assertEquals(plan.actions(), read.actions(), "apply reads back exactly the planned actions");
            plan.actions().forEach(a -> planned.add(a.kind()));
        });
        assertTrue(planned.containsAll(Set.of(FindingKind.LEGACY_GLOBAL_INSTALLATION, FindingKind.INSTALLATION_TENANT_MISSING)),
                "the edge inputs reach the newest remedies: " + planned);
    }

    @Test
    void theFolderPlaceholderIsPlannedAsAQuarantineThatApplyAccepts() throws Exception {
        for (StorageLayout layout : LAYOUTS) {
            String placeholder = layout.installed();
            FindingSink sink = new FindingSink(100);
            new InstalledObjectDetector(layout.installed(), new GraceWindow(NOW.minus(Duration.ofHours(1))), sink)
                    .detect(List.of(object(placeholder, 0), object(placeholder + "langgenius/", 0)).iterator(), List.of(), o -> {});
            assertEquals(List.of(FindingKind.INVALID_INSTALLED_KEY, FindingKind.INVALID_INSTALLED_KEY),
                    sink.findings().stream().map(Finding::kind).toList());

            RemediationPlan plan = planAllKinds(sink.findings(), layout, true);
            assertEquals(List.of(placeholder, placeholder + "langgenius/"), plan.actions().stream().map(PlannedAction::key).toList());
            assertTrue(plan.actions().stream().allMatch(a -> a.action() == RemedyAction.QUARANTINE_OBJECT), plan.toString());
            RemediationPlan read = JSON.readValue(JSON.writeValueAsBytes(PlanDocument.of(plan)), PlanDocument.class).toPlan(layout);
            assertEquals(plan.actions(), read.actions());
        }
    }

    @Test
    void applyStillRefusesThePlaceholderOfAnyOtherKindAndKeysOutsideThePrefix() {
        StorageLayout layout = StorageLayout.DEFAULT;
        ObservedVersion v = ObservedVersion.object(0, OLD, "\"e\"");
        for (PlannedAction a : List.of(
                quarantine(FindingKind.INSTALLED_OBJECT_ORPHANED, "plugin/", v),
                quarantine(FindingKind.PACKAGE_ORPHANED, "plugin_packages/", v),
                quarantine(FindingKind.ASSET_ORPHANED, "assets/", v),
                quarantine(FindingKind.INVALID_INSTALLED_KEY, "plugin", v),
                quarantine(FindingKind.INVALID_INSTALLED_KEY, "plugin_packages/x", v),
                quarantine(FindingKind.INVALID_INSTALLED_KEY, "plugin/", null))) {
            assertTrue(ActionsWeMake.refusal(a, layout) != null, "refused: " + a);
            RemediationPlan plan = new RemediationPlan("p", NOW, NOW.plus(Duration.ofHours(1)), "db", "r", List.of(a),
                    List.of(), 0);
            PlanDocument doc = PlanDocument.of(plan);
            assertThrows(IllegalArgumentException.class, () -> doc.toPlan(layout), a.toString());
        }
        assertNull(ActionsWeMake.refusal(quarantine(FindingKind.INVALID_INSTALLED_KEY, "plugin/", v), layout));
    }

    @Test
    void onGcsAKeyThatTheDaemonReadsAsInstalledIsQuarantinedAndNoOtherFoldersKeyEverIs() throws Exception {
        // The daemon's GCS storage lists the raw prefix "plugin": plugin<identifier> is a plugin it runs.
        StorageLayout gcs = StorageLayout.DEFAULT.listedAsRawPrefixes();
        String uid = "langgenius/openai:0.0.1@" + "a".repeat(64);
        FindingSink sink = new FindingSink(100);
        new InstalledObjectDetector(gcs, new GraceWindow(NOW.minus(Duration.ofHours(1))), sink).detect(
                List.of(object("plugin/" + uid, 3), object("plugin_packages/" + uid, 3), object("plugin" + uid, 3)).iterator(),
                List.of(), o -> {});
        RemediationPlan plan = planAllKinds(sink.findings(), gcs, true);
        assertEquals(List.of("plugin/" + uid, "plugin" + uid), plan.actions().stream().map(PlannedAction::key).sorted().toList());
        RemediationPlan read = JSON.readValue(JSON.writeValueAsBytes(PlanDocument.of(plan)), PlanDocument.class).toPlan(gcs);
        assertEquals(plan.actions(), read.actions(), "apply accepts the quarantine of plugin<identifier> on GCS");

        ObservedVersion v = ObservedVersion.object(3, OLD, "17");
        assertTrue(ActionsWeMake.refusal(quarantine(FindingKind.INVALID_INSTALLED_KEY, "plugin" + uid, v),
                StorageLayout.DEFAULT) != null, "a daemon that lists folders never reads plugin<identifier>: refused there");
        String windows = "plugin\\" + uid.replace('/', '\\');
        for (String key : List.of("plugin_packages/" + uid, "plugin_x/" + uid, "pluginnot-an-identifier", "plugin", windows)) {
            assertTrue(ActionsWeMake.refusal(quarantine(FindingKind.INVALID_INSTALLED_KEY, key, v), gcs) != null, key);
        }
        // Report-only everywhere: a daemon on Windows may still read it.
        assertTrue(ActionsWeMake.refusal(quarantine(FindingKind.INVALID_INSTALLED_KEY, windows, v), StorageLayout.DEFAULT) != null);
    }

    @Test
    void aFindingTheApplierWouldRefuseIsWithheldAsUnsupportedAndNotCounted() {
        String invalidUid = "Langgenius/Openai:0.0.1@" + "a".repeat(64); // upper case: not the daemon's identifier
        Finding icon = new Finding(FindingKind.ASSET_MISSING, "plugin_declarations", UUID.randomUUID().toString(),
                "assets/" + "b".repeat(64) + ".svg", invalidUid, "Langgenius/Openai", null, null, "icon missing",
                ObservedVersion.row(OLD));
        Finding placeholder = Finding.object(FindingKind.INVALID_INSTALLED_KEY, "plugin/", null,
                ObservedVersion.object(0, OLD, "\"d41d8cd98f00b204e9800998ecf8427e\""), "placeholder");
        RemediationPlan plan = planAllKinds(List.of(icon, placeholder), StorageLayout.DEFAULT, true);
        assertEquals(List.of("plugin/"), plan.actions().stream().map(PlannedAction::key).toList());
        assertEquals("p/1", plan.actions().get(0).id(), "a withheld action takes no id and no place under the cap");
        assertEquals(List.of(WithheldReason.UNSUPPORTED), plan.withheld().stream().map(WithheldItem::reason).toList());
    }

    // --- the edge inputs, through the real detectors ---

    private static FindingSink detect(HostileInput in, StorageLayout layout) {
        FindingSink sink = new FindingSink(1_000_000);
        GraceWindow grace = new GraceWindow(NOW.minus(Duration.ofHours(1)));
        List<String> uids = identifiers(in);
        List<String> invalidUids = List.of(uids.get(0).replace(':', '\uFF1A'), "/" + uids.get(1), uids.get(2).replace(":", "_"),
                uids.get(0).toUpperCase(), "");

        List<PluginRow> plugins = new ArrayList<>();
        List<DeclarationRow> declarations = new ArrayList<>();
        Map<String, String> assets = new TreeMap<>(KeyOrder.COMPARATOR); // asset key -> present or not
        List<String> missingAssetIds = new ArrayList<>();
        for (String uid : concat(uids, invalidUids)) {
            String pluginId = uid.contains(":") ? uid.substring(0, uid.indexOf(':')) : uid;
            if (in.chance(0.6)) {
                plugins.add(new PluginRow(UUID.randomUUID().toString(), uid, pluginId, in.between(-1, 3),
                        in.pick(List.of("local", "local", "remote", "serverless")), OLD, List.of()));
            }
            if (in.chance(0.7)) {
                String icon = in.of(HEX, 64) + in.pick(List.of(".svg", ".png", ""));
                if (in.chance(0.5)) {
                    missingAssetIds.add(icon);
                } else {
                    assets.put(layout.assets() + icon, "present");
                }
                declarations.add(new DeclarationRow(UUID.randomUUID().toString(), uid, pluginId, OLD, List.of(icon)));
            }
        }
        plugins.sort((a, b) -> KeyOrder.compare(a.uid(), b.uid()));
        declarations.sort((a, b) -> KeyOrder.compare(a.uid(), b.uid()));

        // installed/ : placeholders, broken forms of identifiers, hostile keys, copies with and without a plugins row
        Map<String, StoredObject> installed = new TreeMap<>(KeyOrder.COMPARATOR);
        for (String key : concat(List.of(layout.installed(), layout.installed() + "langgenius/", layout.installed() + "/"),
                invalidUids.stream().map(u -> layout.installed() + u).toList(),
                uids.stream().filter(u -> in.chance(0.6)).map(u -> layout.installed() + u).toList(),
                in.keys(in.between(0, 12), List.of(StorageLayout.label(layout.installed()))),
                List.of(layout.installed() + in.validLookingIdentifier(), layout.installed() + uids.get(1).replace('/', '\\')))) {
            if (key.startsWith(layout.installed())) {
                installed.put(key, object(key, in.between(0, 5000)));
            }
        }
        // packages/ : the same shapes
        Map<String, StoredObject> packages = new TreeMap<>(KeyOrder.COMPARATOR);
        for (String key : concat(List.of(layout.packages(), layout.packages() + "langgenius/"),
                uids.stream().filter(u -> in.chance(0.6)).map(u -> layout.packages() + u).toList(),
                in.keys(in.between(0, 8), List.of(StorageLayout.label(layout.packages()))))) {
            if (key.startsWith(layout.packages())) {
                packages.put(key, object(key, in.between(1, 5000)));
            }
        }
        // assets/ : the placeholder, present icons, orphans, shapes that are no asset id
        for (String key : List.of(layout.assets(), layout.assets() + in.of(HEX, 64) + ".svg", layout.assets() + in.of(HEX, 63),
                layout.assets() + "icon.svg")) {
            assets.put(key, "present");
        }
        List<StoredObject> assetObjects = assets.keySet().stream().map(k -> object(k, 100)).toList();

        List<StoredObject> presentCopies = new ArrayList<>();
        List<StoredObject> presentPackages = new ArrayList<>();
        new InstalledObjectDetector(layout.installed(), grace, sink).detect(installed.values().iterator(), plugins, presentCopies::add);
        Set<String> remote = plugins.stream().filter(PluginRow::isRemote).map(PluginRow::uid).collect(Collectors.toSet());
        Set<String> pluginUids = plugins.stream().map(PluginRow::uid).collect(Collectors.toSet());
        new PackageDetector(layout.packages(), grace, sink).detect(packages.values().iterator(), declarations, remote, pluginUids,
                presentPackages::add);
        new AssetDetector(layout.assets(), grace, sink).detect(assetObjects.iterator(), declarations, plugins);
        // deep verify's two kinds, as DeepVerifier reports them: about objects whose key holds a valid identifier
        for (StoredObject o : concat(presentCopies, presentPackages)) {
            String prefix = o.key().startsWith(layout.installed()) ? layout.installed() : layout.packages();
            String uid = o.key().substring(prefix.length());
            if (in.chance(0.3)) {
                sink.add(Finding.object(FindingKind.CHECKSUM_MISMATCH, o.key(), uid, o.version(), "content differs"));
            } else if (prefix.equals(layout.installed()) && in.chance(0.3)) {
                sink.add(Finding.object(FindingKind.INSTALLED_COPY_DIFFERS, o.key(), uid, o.version(), "bytes differ"));
            }
        }
        rows(in, sink, grace, plugins, declarations, concat(uids, invalidUids));
        persistence(in, sink, grace, layout);
        return sink;
    }

    /** Row kinds: refers, unreferenced plugins, installations, category rows and endpoints of every table. */
    private static void rows(HostileInput in, FindingSink sink, GraceWindow grace, List<PluginRow> plugins,
            List<DeclarationRow> declarations, List<String> uids) {
        DatabaseConsistencyDetector consistency = new DatabaseConsistencyDetector(grace, sink);
        DatabaseConsistencyDetector.Knowledge knowledge = consistency.knowledge(plugins, declarations);
        Map<String, InstallationTally> tallies = new HashMap<>();
        for (String uid : uids) {
            if (in.chance(0.7)) {
                tallies.put(uid, new InstallationTally(uid, in.between(0, 4), 0, 0));
            }
        }
        consistency.detect(plugins, declarations, tallies, new HashSet<>(), knowledge);
        RowDetector rows = new RowDetector(grace, sink, knowledge);
        for (String uid : uids) {
            String pluginId = uid.contains(":") ? uid.substring(0, uid.indexOf(':')) : uid;
            String tenant = UUID.randomUUID().toString();
            rows.installation(new InstallationRow(UUID.randomUUID().toString(), tenant, pluginId, uid,
                    in.pick(List.of("local", "remote")), OLD));
            String category = in.pick(DaemonSchema.CATEGORY_TABLES);
            TableRow row = new TableRow(in.pick(List.of(category, DaemonSchema.SERVERLESS_RUNTIMES)), UUID.randomUUID().toString(),
                    tenant, pluginId, uid, OLD, null);
            if (PluginIdentifier.isValid(uid)) {
                rows.orphanedCategoryRow(new TableRow(category, row.id(), tenant, pluginId, uid, OLD, null));
            } else {
                rows.invalidIdentifier(row);
            }
            rows.orphanedEndpoint(new TableRow(DaemonSchema.ENDPOINTS, UUID.randomUUID().toString(), tenant, pluginId, null, OLD,
                    null));
            if (in.chance(0.3)) { // the legacy global tenant's installation, with and without a plugins row
                PluginRow plugin = plugins.stream().filter(p -> p.uid().equals(uid)).findFirst().orElse(null);
                rows.legacyGlobalInstallation(new InstallationRow(UUID.randomUUID().toString(), GlobalTenant.ID, pluginId, uid,
                        "serverless", OLD), plugin);
            }
        }
        deletedWorkspaces(in, sink);
    }

    /**
     * Workspaces Dify no longer has, as the scan groups them: uuids, upper case and lower case, and tenant ids that
     * endpoints and tenant_storages keep as any text; next to workspaces that exist.
     */
    private static void deletedWorkspaces(HostileInput in, FindingSink sink) {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            ids.add(UUID.randomUUID().toString());
        }
        ids.add(in.of(LOWER, in.between(1, 40)));
        ids.add("tenant " + in.of(HEX, 4));
        List<String> sorted = new ArrayList<>(ids);
        sorted.sort(String::compareTo); // ASCII: the byte order the scan reads them in
        List<TenantFootprint> footprints = new ArrayList<>();
        List<String> existing = new ArrayList<>();
        for (String id : sorted) {
            if (in.chance(0.4)) {
                existing.add(id);
            }
            List<String> pluginIds = in.chance(0.5) ? List.of("langgenius/openai") : List.of("langgenius/a", "langgenius/b");
            footprints.add(new TenantFootprint(id, in.between(0, 3), in.between(0, 3), in.between(0, 2), in.between(1, 2), 0,
                    pluginIds, pluginIds.size(), in.chance(0.8) ? OLD : null));
        }
        new TenantMissingDetector(sink).detect(footprints.iterator(), existing.iterator());
    }

    private static void persistence(HostileInput in, FindingSink sink, GraceWindow grace, StorageLayout layout) {
        String tenant = UUID.randomUUID().toString();
        String key = layout.persistence() + tenant + "/langgenius/openai/key";
        new TenantStorageDetector(layout.persistence(), grace, sink).detect(List.of(object(key, in.between(1, 900))).iterator(),
                List.of(new TenantStorageRow(UUID.randomUUID().toString(), tenant, "langgenius/openai", in.between(1000, 2000), OLD))
                        .iterator());
    }

    /** Valid identifiers at the edges of the daemon's rule, and ordinary ones; sorted, distinct. */
    private static List<String> identifiers(HostileInput in) {
        Set<String> uids = new HashSet<>();
        uids.add(in.of(LOWER, 64) + "/" + in.of(LOWER, 255) + ":9999.9999.9999.9999-" + in.of("abcXYZ_019", 16) + "@"
                + in.of(HEX, 64)); // the longest
        uids.add(in.of(LOWER, 1) + ":0.0@" + in.of(HEX, 32)); // the shortest, without author
        uids.add("langgenius/openai:0.0.19@" + in.of(HEX, 64));
        while (uids.size() < 8) {
            String candidate = in.validLookingIdentifier();
            if (PluginIdentifier.isValid(candidate)) {
                uids.add(candidate);
            }
        }
        List<String> sorted = new ArrayList<>(uids);
        sorted.sort(KeyOrder.COMPARATOR);
        return sorted;
    }

    private static RemediationPlan planAllKinds(List<Finding> findings, StorageLayout layout, boolean armed) {
        RemediationPolicy policy = new RemediationPolicy(armed, Remedies.remediableKinds(), 1, Duration.ZERO,
                Duration.ZERO, 1_000_000, 1.0, Duration.ofHours(1));
        Map<FindingKind, Long> population = new EnumMap<>(FindingKind.class);
        for (FindingKind k : FindingKind.values()) {
            population.put(k, 1_000_000L);
        }
        FindingHistory confirmed = new FindingHistory(OLD, 10);
        return new RemediationPlanner(policy, layout).plan("p", "r", NOW, "db",
                findings.stream().map(f -> new RemediationCandidate(f, confirmed)).iterator(), population);
    }

    private static PlannedAction quarantine(FindingKind kind, String key, ObservedVersion observed) {
        return new PlannedAction("p/1", kind, RemedyAction.QUARANTINE_OBJECT, null, null, null, null, null, "d", key, null, observed,
                null, null);
    }

    private static StoredObject object(String key, long size) {
        return new StoredObject(key, size, OLD, "\"" + Integer.toHexString(key.hashCode()) + "\"");
    }

    @SafeVarargs
    private static <T> List<T> concat(List<? extends T>... lists) {
        List<T> all = new ArrayList<>();
        for (List<? extends T> l : lists) {
            all.addAll(l);
        }
        return all;
    }
}
