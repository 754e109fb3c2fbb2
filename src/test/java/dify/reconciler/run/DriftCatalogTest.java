package dify.reconciler.run;

import static dify.reconciler.catalog.FindingKind.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.GlobalTenant;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.Severity;
import dify.reconciler.detect.FindingSink;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.inventory.workdir.WorkingPath;
import dify.reconciler.report.ScanPhase;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.DriftFixture.Store;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.DaemonWorkingPath;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.DifyPackageBuilder;
import dify.reconciler.testsupport.RealDeclarations;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.Sweep;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every finding kind of the catalog, on S3 and on local storage: plant exactly one drift into a clean,
 * realistic dataset and expect exactly that finding, nothing else. The kinds read from the daemon's tables alone run on
 * local storage by default and on S3 in the sweep ({@link #rowKindStores}).
 */
class DriftCatalogTest {

    /**
     * The stores a kind read from the daemon's tables alone runs on: local storage in the default suite, S3 (the same rows,
     * another backend, a repetition) in the sweep ({@link Sweep}). Kinds that read storage run on both by default.
     */
    static List<Store> rowKindStores() {
        return Sweep.part(List.of(Store.values()), store -> store == Store.LOCAL);
    }

    private static void assertOnly(Map<FindingKind, Long> expected, FindingSink sink) {
        assertEquals(expected, DriftFixture.counts(sink), () -> "findings: " + sink.findings());
    }

    private static Finding only(FindingSink sink) {
        assertEquals(1, sink.findings().size(), () -> "findings: " + sink.findings());
        return sink.findings().get(0);
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void aCleanDatasetHasNoFindings(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            FindingSink sink = f.scan(true);
            assertOnly(Map.of(), sink);
            assertEquals(0, sink.unrecognizedKeys());
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void aCleanLegacyDatasetHasNoFindings(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.LEGACY)) {
            assertOnly(Map.of(), f.scan(false));
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void invalidInstalledKey(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            // The colon lost in a copy, as in the bug report.
            f.put("plugin/langgenius/email_0.0.7@6c3856490275f3440619fabfdc54f3bd29bad8959e29996452277b9c3b0c5e9b", new byte[10]);
            Finding finding = only(f.scan(false));
            assertEquals(INVALID_INSTALLED_KEY, finding.kind());
            assertTrue(finding.detail().contains("no ':'"), finding.detail());
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void invalidInstalledKeyWithALookAlikeColon(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            String uid = f.dataset.localPlugin(0).uid();
            f.put("plugin/" + uid.replace(':', '\uFF1A'), new byte[3]);
            assertOnly(Map.of(INVALID_INSTALLED_KEY, 1L), f.scan(false));
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void installedObjectMissing(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            DifyDataset.Plugin p = f.dataset.localPlugin(1);
            f.delete("plugin/" + p.uid());
            Finding finding = only(f.scan(true));
            assertEquals(INSTALLED_OBJECT_MISSING, finding.kind());
            assertEquals(p.pluginRowId().toString(), finding.id());
            assertEquals("plugin/" + p.uid(), finding.key());
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void packageMissing(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            DifyDataset.Plugin p = f.dataset.localPlugin(2);
            f.delete("plugin_packages/" + p.uid());
            Finding finding = only(f.scan(true));
            assertEquals(PACKAGE_MISSING, finding.kind());
            assertEquals(p.declarationId().toString(), finding.id());
            assertEquals("plugin_packages/" + p.uid(), finding.key());
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void installationDeclarationMissing(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            // Installed and running (plugins row, installed copy) but its declaration row is gone and no
            // package was ever uploaded under this identifier.
            BuiltPackage pkg = DifyPackageBuilder.aPackage().author("acme").name("nodecl").version("1.0.0").build();
            UUID tenant = f.dataset.tenants.get(1);
            f.rows.insertPlugin(pkg.identifier(), "acme/nodecl", 1, "local", null);
            f.put("plugin/" + pkg.identifier(), pkg.bytes());
            UUID installation = f.rows.insertInstallation(tenant, "acme/nodecl", pkg.identifier(), "local", "package");
            f.rows.insertCategoryRow("tool_installations", tenant, "nodecl", pkg.identifier(), "acme/nodecl");
            Finding finding = only(f.scan(false));
            assertEquals(INSTALLATION_DECLARATION_MISSING, finding.kind());
            assertEquals(installation.toString(), finding.id());
            assertEquals(tenant.toString(), finding.tenantId());
        }
    }

    @ParameterizedTest
    @MethodSource("rowKindStores")
    @Tag(Sweep.TAG)
    void invalidIdentifierRow(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            String broken = "/junjiem/mcp_see_agent:0.2.2@2b54607cf4d6a03b39cdae1425af2d8bafd4dd87f3eef6dc3eaaa945c71c2231";
            UUID tenant = f.dataset.tenants.get(2);
            f.rows.insertInstallation(tenant, "junjiem/mcp_see_agent", broken, "local", "package");
            f.rows.insertCategoryRow("agent_strategy_installations", tenant, "mcp", broken, "junjiem/mcp_see_agent");
            FindingSink sink = f.scan(false);
            assertOnly(Map.of(INVALID_IDENTIFIER_ROW, 2L), sink);
            assertEquals(java.util.Set.of("plugin_installations", "agent_strategy_installations"),
                    sink.findings().stream().map(Finding::table).collect(java.util.stream.Collectors.toSet()));
        }
    }

    @ParameterizedTest
    @MethodSource("rowKindStores")
    @Tag(Sweep.TAG)
    void invalidIdentifierInACategoryRowAlone(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            // The installation is fine; only its category row carries a copy-damaged identifier.
            DifyDataset.Installation i = f.dataset.installations.get(0);
            String broken = i.plugin().uid().replace(':', '_');
            f.rows.execute("UPDATE " + i.categoryTable() + " SET plugin_unique_identifier = ? WHERE id = ?", broken,
                    i.categoryRowId());
            Finding finding = only(f.scan(false));
            assertEquals(INVALID_IDENTIFIER_ROW, finding.kind());
            assertEquals(i.categoryRowId().toString(), finding.id());
        }
    }

    @ParameterizedTest
    @MethodSource("rowKindStores")
    @Tag(Sweep.TAG)
    void duplicateRowsOnALegacyDatabase(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.LEGACY)) {
            DifyDataset.Plugin p = f.dataset.localPlugin(0);
            f.rows.insertPlugin(p.uid(), p.pluginId(), 3, "local", null, DriftFixture.SEEDED_AT);
            DifyDataset.Installation i = f.dataset.installations.get(0);
            f.rows.insertInstallation(i.tenantId(), i.plugin().pluginId(), i.plugin().uid(), "local", "marketplace",
                    DriftFixture.SEEDED_AT);
            // The duplicate installation is counted by refers on both plugins rows, as the daemon would have.
            f.rows.execute("UPDATE plugins SET refers = refers + 1 WHERE plugin_unique_identifier = ?", i.plugin().uid());
            FindingSink sink = f.scan(false);
            assertOnly(Map.of(DUPLICATE_ROWS, 2L), sink);
            assertEquals(java.util.Set.of("plugins", "plugin_installations"),
                    sink.findings().stream().map(Finding::table).collect(java.util.stream.Collectors.toSet()));
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void installedObjectOrphaned(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            BuiltPackage pkg = DifyPackageBuilder.aPackage().author("acme").name("leftover").version("2.0.0").build();
            f.put("plugin/" + pkg.identifier(), pkg.bytes());
            Finding finding = only(f.scan(true));
            assertEquals(INSTALLED_OBJECT_ORPHANED, finding.kind());
            assertEquals((long) pkg.bytes().length, finding.bytes());
        }
    }

    @ParameterizedTest
    @MethodSource("rowKindStores")
    @Tag(Sweep.TAG)
    void installationPluginMissing(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            // A remote (debugging) installation whose plugins row is gone: remote plugins have no declaration
            // or objects, so nothing else is missing.
            String uid = DifyDataset.fakeUid("debugger", 9);
            UUID id = f.rows.insertInstallation(f.dataset.tenants.get(0), "langgenius/debugger", uid, "remote", "remote");
            f.rows.insertCategoryRow("tool_installations", f.dataset.tenants.get(0), "debugger", uid, "langgenius/debugger");
            Finding finding = only(f.scan(false));
            assertEquals(INSTALLATION_PLUGIN_MISSING, finding.kind());
            assertEquals(id.toString(), finding.id());
        }
    }

    @ParameterizedTest
    @MethodSource("rowKindStores")
    @Tag(Sweep.TAG)
    void refersTooLow(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            // A restore or a hand-made fix left refers at 1 for a plugin three tenants use.
            DifyDataset.Plugin p = f.dataset.localPlugin(3);
            f.rows.execute("UPDATE plugins SET refers = 1 WHERE id = ?", p.pluginRowId());
            Finding finding = only(f.scan(false));
            assertEquals(REFERS_TOO_LOW, finding.kind());
            assertEquals(Severity.CRITICAL, finding.severity());
            assertEquals(p.pluginRowId().toString(), finding.id());
            assertTrue(finding.detail().startsWith("refers is 1 but 3 installation(s) use this identifier; "),
                    finding.detail());
        }
    }

    @ParameterizedTest
    @MethodSource("rowKindStores")
    @Tag(Sweep.TAG)
    void refersZeroWithInstallationsIsTooLow(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            DifyDataset.Plugin p = f.dataset.localPlugin(2);
            f.rows.execute("UPDATE plugins SET refers = 0 WHERE id = ?", p.pluginRowId());
            assertOnly(Map.of(REFERS_TOO_LOW, 1L), f.scan(false));
        }
    }

    @ParameterizedTest
    @MethodSource("rowKindStores")
    @Tag(Sweep.TAG)
    void refersDrift(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            DifyDataset.Plugin p = f.dataset.localPlugin(3);
            f.rows.execute("UPDATE plugins SET refers = 7 WHERE id = ?", p.pluginRowId());
            Finding finding = only(f.scan(false));
            assertEquals(REFERS_DRIFT, finding.kind());
            assertEquals(Severity.WARNING, finding.severity());
            assertEquals("refers is 7 but 3 installation(s) use this identifier", finding.detail());
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void pluginUnreferenced(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            DifyDataset.Plugin p = f.dataset.localPlugin(4);
            f.rows.execute("DELETE FROM plugin_installations WHERE plugin_unique_identifier = ?", p.uid());
            f.rows.execute("DELETE FROM " + p.categoryTable() + " WHERE plugin_unique_identifier = ?", p.uid());
            f.rows.execute("UPDATE plugins SET refers = 0 WHERE id = ?", p.pluginRowId());
            Finding finding = only(f.scan(false));
            assertEquals(PLUGIN_UNREFERENCED, finding.kind());
            assertEquals(p.pluginRowId().toString(), finding.id());
        }
    }

    @ParameterizedTest
    @MethodSource("rowKindStores")
    @Tag(Sweep.TAG)
    void categoryRowOrphaned(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            DifyDataset.Plugin p = f.dataset.localPlugin(0);
            UUID stranger = UUID.randomUUID();
            UUID row = f.rows.insertCategoryRow("ai_model_installations", stranger, "plugin0", p.uid(), p.pluginId());
            Finding finding = only(f.scan(false));
            assertEquals(CATEGORY_ROW_ORPHANED, finding.kind());
            assertEquals("ai_model_installations", finding.table());
            assertEquals(row.toString(), finding.id());
            assertEquals(stranger.toString(), finding.tenantId());
        }
    }

    @ParameterizedTest
    @MethodSource("rowKindStores")
    @Tag(Sweep.TAG)
    void serverlessRuntimeMissing(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            f.rows.execute("DELETE FROM serverless_runtimes");
            Finding finding = only(f.scan(false));
            assertEquals(SERVERLESS_RUNTIME_MISSING, finding.kind());
            assertEquals(f.dataset.plugin("serverless").uid(), finding.pluginUniqueIdentifier());
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void assetMissing(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            DifyDataset.Plugin p = f.dataset.localPlugin(5);
            f.delete("assets/" + p.assetId());
            Finding finding = only(f.scan(false));
            assertEquals(ASSET_MISSING, finding.kind());
            assertEquals("assets/" + p.assetId(), finding.key());
            assertEquals(p.declarationId().toString(), finding.id());
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void checksumMismatchOnATruncatedPackage(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            DifyDataset.Plugin p = f.dataset.localPlugin(1);
            f.put("plugin_packages/" + p.uid(), Arrays.copyOf(p.pkg().bytes(), p.pkg().bytes().length / 2));
            assertOnly(Map.of(), f.scan(false)); // invisible without deep verify
            Finding finding = only(f.scan(true));
            assertEquals(CHECKSUM_MISMATCH, finding.kind());
            assertEquals("plugin_packages/" + p.uid(), finding.key());
            // The version of the object whose bytes were read (the truncated one), ETag included on S3.
            assertEquals(f.storage.head("plugin_packages/" + p.uid()).orElseThrow().version(), finding.observed());
            assertEquals((long) p.pkg().bytes().length / 2, finding.observed().size());
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void checksumMismatchOnAnotherPackagesBytes(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            DifyDataset.Plugin p = f.dataset.localPlugin(1);
            DifyDataset.Plugin other = f.dataset.localPlugin(2);
            f.put("plugin/" + p.uid(), other.pkg().bytes());
            Finding finding = only(f.scan(true));
            assertEquals(CHECKSUM_MISMATCH, finding.kind());
            assertTrue(finding.detail().contains(other.uid()), finding.detail());
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void installedCopyDiffers(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            DifyDataset.Plugin p = f.dataset.localPlugin(0);
            // Same entries (so the same identifier), different bytes: a signature in the zip comment.
            BuiltPackage signed = DifyPackageBuilder.aPackage().author("langgenius").name(p.pkg().name())
                    .version(p.pkg().version()).icon("icon.svg", p.iconBytes())
                    .file("main.py", "print('" + p.pkg().name() + "')\n").comment("signature: abc").build();
            assertEquals(p.uid(), signed.identifier(), "precondition: same identifier");
            f.put("plugin/" + p.uid(), signed.bytes());
            assertOnly(Map.of(INSTALLED_COPY_DIFFERS, 1L), f.scan(true));
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void findingsCarryTheVersionOfTheRowOrObjectTheScanSaw(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            DifyDataset.Plugin p = f.dataset.localPlugin(2);
            f.delete("plugin_packages/" + p.uid());
            Instant created = Instant.parse("2026-01-02T03:04:05.123456Z");
            Instant updated = Instant.parse("2026-01-03T03:04:05.654321Z");
            f.rows.execute("UPDATE plugin_declarations SET created_at = ?, updated_at = ? WHERE id = ?",
                    OffsetDateTime.ofInstant(created, ZoneOffset.UTC), OffsetDateTime.ofInstant(updated, ZoneOffset.UTC),
                    p.declarationId());
            BuiltPackage pkg = DifyPackageBuilder.aPackage().author("acme").name("uploaded").version("0.1.0").build();
            String key = "plugin_packages/" + pkg.identifier();
            f.put(key, pkg.bytes());

            FindingSink sink = f.scan(false);
            assertOnly(Map.of(PACKAGE_MISSING, 1L, PACKAGE_ORPHANED, 1L), sink);
            Finding missing = sink.findings().stream().filter(x -> x.kind() == PACKAGE_MISSING).findFirst().orElseThrow();
            assertEquals(ObservedVersion.row(updated), missing.observed(), "the row's updated_at as read, to the microsecond");
            Finding orphaned = sink.findings().stream().filter(x -> x.kind() == PACKAGE_ORPHANED).findFirst().orElseThrow();
            StoredObject stored = f.storage.head(key).orElseThrow();
            assertEquals(stored.version(), orphaned.observed());
            assertEquals((long) pkg.bytes().length, orphaned.observed().size());
            // The store's own version tag as its own client reads it (S3's ETag; none on local storage).
            assertEquals(f.store.nativeVersionTag(key), orphaned.observed().etag(), "the version tag the store listed");
            if (store == Store.S3) {
                assertNotNull(orphaned.observed().etag());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void packageOrphaned(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            BuiltPackage pkg = DifyPackageBuilder.aPackage().author("acme").name("uploaded").version("0.1.0").build();
            f.put("plugin_packages/" + pkg.identifier(), pkg.bytes());
            Finding finding = only(f.scan(true));
            assertEquals(PACKAGE_ORPHANED, finding.kind());
            assertEquals((long) pkg.bytes().length, finding.bytes());
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void assetOrphaned(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            byte[] icon = "<svg/>".getBytes(StandardCharsets.UTF_8);
            String id = BuiltPackage.assetId("stale.svg", icon);
            f.put("assets/" + id, icon);
            Finding finding = only(f.scan(false));
            assertEquals(ASSET_ORPHANED, finding.kind());
            assertEquals("assets/" + id, finding.key());
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void declarationUnreferenced(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            // Uploaded (assets, package, declaration) but never installed.
            byte[] icon = "<svg>u</svg>".getBytes(StandardCharsets.UTF_8);
            BuiltPackage pkg = DifyPackageBuilder.aPackage().author("acme").name("uploaded").version("0.2.0")
                    .icon("icon.svg", icon).build();
            String assetId = BuiltPackage.assetId("icon.svg", icon);
            f.put("assets/" + assetId, icon);
            f.put("plugin_packages/" + pkg.identifier(), pkg.bytes());
            UUID declaration = f.rows.insertDeclaration(pkg.identifier(), "acme/uploaded",
                    DifyDataset.declarationJson(pkg, assetId, null));
            Finding finding = only(f.scan(true));
            assertEquals(DECLARATION_UNREFERENCED, finding.kind());
            assertEquals(declaration.toString(), finding.id());
        }
    }

    @ParameterizedTest
    @MethodSource("rowKindStores")
    @Tag(Sweep.TAG)
    void endpointOrphaned(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            String tenant = UUID.randomUUID().toString();
            UUID endpoint = f.rows.insertEndpoint(tenant, f.dataset.localPlugin(0).pluginId(), "hook-orphan", "default");
            Finding finding = only(f.scan(false));
            assertEquals(ENDPOINT_ORPHANED, finding.kind());
            assertEquals(endpoint.toString(), finding.id());
            assertEquals(tenant, finding.tenantId());
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void tenantStorageDrift(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            f.rows.execute("UPDATE tenant_storages SET size = size + 100 WHERE id = ?", f.dataset.tenantStorageId);
            Finding finding = only(f.scan(false));
            assertEquals(TENANT_STORAGE_DRIFT, finding.kind());
            assertEquals(f.dataset.persistencePrefix, finding.key());
        }
    }

    @ParameterizedTest
    @MethodSource("rowKindStores")
    @Tag(Sweep.TAG)
    void installTaskStuck(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            UUID task = f.rows.insertInstallTask("running", f.dataset.tenants.get(0), 2, 1, DriftFixture.SEEDED_AT);
            f.rows.insertInstallTask("pending", f.dataset.tenants.get(0), 1, 0); // just started: not stuck
            Finding finding = only(f.scan(false));
            assertEquals(INSTALL_TASK_STUCK, finding.kind());
            assertEquals(task.toString(), finding.id());
        }
    }

    /** What a 0.3.0-0.4.1 daemon with PLUGIN_ALLOW_ORPHANS did at every install: install for the global tenant too. */
    private static UUID installForTheGlobalTenant(DriftFixture f, DifyDataset.Plugin p, boolean countInRefers) {
        UUID global = UUID.fromString(GlobalTenant.ID);
        UUID row = f.rows.insertInstallation(global, p.pluginId(), p.uid(), p.kind(), "marketplace", DriftFixture.SEEDED_AT);
        if (p.categoryTable() != null) {
            f.rows.insertCategoryRow(p.categoryTable(), global, p.pluginId().split("/")[1], p.uid(), p.pluginId(),
                    DriftFixture.SEEDED_AT);
        }
        if (countInRefers) {
            f.rows.execute("UPDATE plugins SET refers = refers + 1 WHERE id = ?", p.pluginRowId());
        }
        return row;
    }

    /** What the daemon's uninstall does in its transaction: refers down, installation and category row gone. */
    private static void uninstall(DriftFixture f, DifyDataset.Installation i) {
        f.rows.execute("DELETE FROM plugin_installations WHERE id = ?", i.id());
        if (i.categoryTable() != null) {
            f.rows.execute("DELETE FROM " + i.categoryTable() + " WHERE id = ?", i.categoryRowId());
        }
        f.rows.execute("UPDATE plugins SET refers = refers - 1 WHERE id = ?", i.plugin().pluginRowId());
    }

    // Database-only kinds: the store plays no part, so they run on the cheaper local store only.
    @ParameterizedTest
    @EnumSource(value = Store.class, names = "LOCAL")
    void legacyGlobalInstallationKeepsAPluginAliveThatNoWorkspaceUses(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            // The serverless plugin was installed by a workspace under a 0.4.1 daemon (global row too, refers 2),
            // then that workspace uninstalled it: refers 1, held by the global row alone.
            DifyDataset.Plugin serverless = f.dataset.plugin("serverless");
            UUID global = installForTheGlobalTenant(f, serverless, true);
            uninstall(f, f.dataset.installations.stream().filter(i -> i.plugin() == serverless).findFirst().orElseThrow());
            // Look-alikes, clean: a global row on a plugin workspaces still use (counted in refers as the daemon did),
            // and a real workspace whose id is all zeros but the last digit, the only one using the remote plugin.
            installForTheGlobalTenant(f, f.dataset.localPlugin(3), true);
            String nearlyZero = "00000000-0000-0000-0000-000000000001";
            DifyDataset.Plugin remote = f.dataset.plugin("remote");
            f.rows.execute("UPDATE plugin_installations SET tenant_id = CAST(? AS uuid) WHERE plugin_unique_identifier = ?",
                    nearlyZero, remote.uid());
            f.rows.execute("UPDATE " + remote.categoryTable() + " SET tenant_id = CAST(? AS uuid) WHERE plugin_unique_identifier = ?",
                    nearlyZero, remote.uid());

            FindingSink sink = f.scan(false);
            assertOnly(Map.of(LEGACY_GLOBAL_INSTALLATION, 1L), sink);
            Finding finding = sink.findings().get(0);
            assertEquals(Severity.INFO, finding.severity());
            assertEquals("plugin_installations", finding.table());
            assertEquals(global.toString(), finding.id());
            assertEquals(GlobalTenant.ID, finding.tenantId());
            assertEquals(serverless.uid(), finding.pluginUniqueIdentifier());
            assertEquals(serverless.pluginId(), finding.pluginId());
            assertTrue(finding.detail().contains("it keeps refers at 1, so the daemon never deletes the plugins row,"
                    + " the declaration and the serverless runtime (the deployed function; install_type=serverless)"),
                    finding.detail());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Store.class, names = "LOCAL")
    void refersCountsTheLegacyGlobalTenantsInstallationsAsTheDaemonDoes(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            // Three workspaces and the global tenant use the plugin; refers says 3 (a restore that lost the global
            // install's increment). The daemon counts the global row, so the next uninstall must not reach 0 early.
            DifyDataset.Plugin p = f.dataset.localPlugin(3);
            installForTheGlobalTenant(f, p, false);
            Finding finding = only(f.scan(false));
            assertEquals(REFERS_TOO_LOW, finding.kind());
            assertEquals(p.pluginRowId().toString(), finding.id());
            assertTrue(finding.detail().startsWith("refers is 3 but 4 installation(s) use this identifier (1 of them the"
                    + " legacy global tenant's, counted as the daemon counts them); "), finding.detail());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Store.class, names = "LOCAL")
    void duplicateServerlessRuntimesWhereTheUniqueIndexIsMissing(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            // A table recreated without its constraint (a data-only restore into a hand-made table), then a second
            // runtime row for the same plugin; next to it a runtime of another version of the same function (clean).
            f.rows.execute("ALTER TABLE serverless_runtimes DROP CONSTRAINT uni_serverless_runtimes_plugin_unique_identifier");
            DifyDataset.Plugin serverless = f.dataset.plugin("serverless");
            UUID second = f.rows.insertServerlessRuntime(serverless.uid(), "https://functions.example/serverless_tool-2",
                    "serverless-tool-fn", "aws_lambda", serverless.pkg().checksum(), DriftFixture.SEEDED_AT);
            f.rows.insertServerlessRuntime(DifyDataset.fakeUid("serverless_tool", 2), "https://functions.example/v2",
                    "serverless-tool-fn", "aws_lambda", serverless.pkg().checksum(), DriftFixture.SEEDED_AT);
            FindingSink sink = f.scan(false);
            assertOnly(Map.of(DUPLICATE_ROWS, 1L), sink);
            Finding finding = sink.findings().get(0);
            assertEquals("serverless_runtimes", finding.table());
            assertEquals(serverless.uid(), finding.pluginUniqueIdentifier());
            java.util.List<String> ids = java.util.stream.Stream.of(f.dataset.serverlessRuntimeId, second)
                    .map(UUID::toString).sorted().toList();
            assertEquals(ids.get(0), finding.id());
            assertTrue(finding.detail().startsWith("2 rows share plugin_unique_identifier " + serverless.uid() + " (ids "
                    + String.join(", ", ids) + "); "), finding.detail());
            assertTrue(finding.detail().contains("ON CONFLICT (plugin_unique_identifier)"), finding.detail());
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void keysOfUnknownShapeUnderThePackagePrefixAreCountedNotReported(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            String uid = f.dataset.localPlugin(0).uid();
            f.put("plugin_packages/README.md", new byte[5]);
            f.put("plugin_packages/" + uid.replace(':', '_'), new byte[7]); // the colon lost in a copy
            f.put("plugin_packages/tmp/upload-123.part", new byte[9]);
            FindingSink sink = f.scan(false);
            assertOnly(Map.of(), sink);
            assertEquals(3, sink.unrecognizedKeys());
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void anUnparsableDeclarationSuppressesAssetFindingsWithANote(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            // One declaration no longer parses, so the assets it names are unknown: its icon would look orphaned.
            DifyDataset.Plugin unreadable = f.dataset.localPlugin(1);
            f.rows.execute("UPDATE plugin_declarations SET declaration = ? WHERE id = ?", "{\"icon\": ",
                    unreadable.declarationId());
            // And real asset drift elsewhere, which this run cannot judge either.
            f.delete("assets/" + f.dataset.localPlugin(5).assetId());
            FindingSink sink = f.scan(false);
            assertOnly(Map.of(), sink);
            assertTrue(sink.notes().contains(
                    "some declarations could not be parsed: their assets are unknown, so asset findings are not reported"),
                    () -> "notes: " + sink.notes());
            assertTrue(sink.notes().stream().anyMatch(n -> n.startsWith("plugin_declarations row "
                    + unreadable.declarationId() + ": its declaration cannot be read (declaration is not valid JSON")),
                    () -> "notes: " + sink.notes());
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void remotePluginsAreNeverMissingObjectsOrDeclarations(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            String uid = DifyDataset.fakeUid("remote_two", 3);
            UUID tenant = f.dataset.tenants.get(1);
            f.rows.insertPlugin(uid, "langgenius/remote_two", 1, "remote", "{\"icon\":\"" + "cd".repeat(32) + ".svg\"}");
            f.rows.insertInstallation(tenant, "langgenius/remote_two", uid, "remote", "remote");
            f.rows.insertCategoryRow("tool_installations", tenant, "remote_two", uid, "langgenius/remote_two");
            assertOnly(Map.of(), f.scan(true));
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void leavesRowsAndObjectsInsideTheGracePeriodAlone(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            Instant now = Instant.now();
            // In flight: a package uploaded a moment ago, not yet declared; an installation being written.
            BuiltPackage pkg = DifyPackageBuilder.aPackage().author("acme").name("inflight").version("0.0.1").build();
            f.put("plugin_packages/" + pkg.identifier(), pkg.bytes());
            f.rows.insertInstallation(f.dataset.tenants.get(0), "acme/inflight", pkg.identifier(), "local", "package", now);
            f.rows.insertEndpoint(UUID.randomUUID().toString(), "acme/inflight", "hook-new", "default", now);
            FindingSink sink = f.scan(new dify.reconciler.detect.GraceWindow(now.minus(Duration.ofHours(1))), false);
            assertOnly(Map.of(), sink);
            // Exactly what was planted, each counted once: the installation and the endpoint, the package object.
            // S3 objects cannot be back-dated, so there the seeded persistence objects are young too, and the
            // tenant_storages row they add up to is left alone (and counted) as well.
            assertEquals(store == Store.LOCAL ? 2 : 3, sink.rowsInGrace(), "rows in grace");
            assertEquals(1, sink.objectsInGrace(), "objects in grace");
            // The same drift, once old enough, is reported: the package nobody declared, the installation with
            // neither a plugins row nor a declaration, the endpoint of a tenant with no installation.
            FindingSink later = f.scan(false);
            assertOnly(Map.of(PACKAGE_ORPHANED, 1L, INSTALLATION_PLUGIN_MISSING, 1L, INSTALLATION_DECLARATION_MISSING, 1L,
                    ENDPOINT_ORPHANED, 1L), later);
            assertEquals(0, later.rowsInGrace(), "rows in grace once old");
            assertEquals(0, later.objectsInGrace(), "objects in grace once old");
        }
    }

    /**
     * The working path is node-local and independent of the store: planted once, on local storage, next to a folder
     * per installed local plugin of the dataset (the daemon's image Python, not judged beyond the volume).
     */
    @Test
    void workingDirOrphanedAndBrokenOnARealWorkingPath(@TempDir Path cwd) throws Exception {
        try (DriftFixture f = new DriftFixture(Store.LOCAL, SchemaFixture.CURRENT)) {
            DaemonWorkingPath daemon = new DaemonWorkingPath(cwd);
            List<DifyDataset.Plugin> local = f.dataset.plugins.stream().filter(DifyDataset.Plugin::isLocal).toList();
            for (DifyDataset.Plugin p : local.subList(1, local.size())) {
                daemon.installedOnTheImagesPython(p.uid(), "requirements.txt");
            }
            // Installed, its environment carried in the volume, the interpreter the link names deleted: broken.
            Path broken = daemon.installedSelfContained(local.get(0).uid());
            daemon.delete(broken.resolve(".venv/bin/python3.12"));
            // The folder an upgrade left: same plugin, same version, another checksum, no plugins row.
            String installed = local.get(1).uid();
            String orphanUid = installed.substring(0, installed.indexOf('@') + 1) + "0".repeat(64);
            long before = daemon.bytesWritten();
            daemon.installedOnTheImagesPython(orphanUid, "requirements.txt");
            long orphanBytes = daemon.bytesWritten() - before;
            daemon.ageAll(DriftFixture.SEEDED_AT);

            DriftFixture.WorkingPathScan scan = f.scanWithWorkingPath(new WorkingPath(cwd), "plugin-daemon-0");

            assertOnly(Map.of(WORKING_DIR_BROKEN, 1L, WORKING_DIR_ORPHANED, 1L), scan.sink());
            Finding orphan = scan.sink().findings().stream().filter(x -> x.kind() == WORKING_DIR_ORPHANED).findFirst().orElseThrow();
            assertEquals(orphanUid, orphan.pluginUniqueIdentifier());
            assertEquals(orphanBytes, orphan.bytes());
            Finding brokenFinding = scan.sink().findings().stream().filter(x -> x.kind() == WORKING_DIR_BROKEN).findFirst()
                    .orElseThrow();
            assertEquals(local.get(0).uid(), brokenFinding.pluginUniqueIdentifier());
            assertEquals(new ScanReport.WorkingPathScope(cwd.toString(), "plugin-daemon-0", local.size() + 1, 0, 0,
                    local.size() - 1, orphanBytes), scan.scope());

            // The same scan against a working path that is not mounted fails in its own phase, naming the folder.
            DriftFixture.WorkingPathScanFailed failed = assertThrows(DriftFixture.WorkingPathScanFailed.class,
                    () -> f.scanWithWorkingPath(new WorkingPath(cwd.resolve("not-mounted")), "plugin-daemon-0"));
            assertEquals(ScanPhase.WORKING_PATH, failed.phase);
            assertTrue(failed.getMessage().contains(cwd.resolve("not-mounted") + " does not exist"), failed.getMessage());
        }
    }

    /** A database-only check: one store is enough. */
    @ParameterizedTest
    @EnumSource(value = Store.class, names = "LOCAL")
    void declarationInvalid(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            // dify#41605: 'multiple' set on a files parameter; the tool plugin all three tenants installed.
            DifyDataset.Plugin tool = f.dataset.localPlugin(0);
            assertEquals("tool_installations", tool.categoryTable(), "precondition: a tool plugin");
            String valid = RealDeclarations.tool("langgenius", tool.pkg().name(), tool.pkg().version(), tool.assetId());
            f.rows.execute("UPDATE plugin_declarations SET declaration = ? WHERE id = ?",
                    RealDeclarations.changed(valid, "tool.tools[1].parameters[1].multiple", "true"), tool.declarationId());
            // Look-alikes that Dify accepts: the serverless tool keeps 'multiple' on its select parameter, and the
            // model plugin now names a model type more.
            DifyDataset.Plugin model = f.dataset.localPlugin(4);
            assertEquals("ai_model_installations", model.categoryTable(), "precondition: a model plugin");
            f.rows.execute("UPDATE plugin_declarations SET declaration = ? WHERE id = ?", RealDeclarations.changed(
                    RealDeclarations.model("langgenius", model.pkg().name(), model.pkg().version(), model.assetId()),
                    "model.supported_model_types[1]", "\"rerank\""), model.declarationId());

            Finding finding = only(f.scan(false));

            assertEquals(DECLARATION_INVALID, finding.kind());
            assertEquals(Severity.CRITICAL, finding.severity());
            assertEquals("plugin_declarations", finding.table());
            assertEquals(tool.declarationId().toString(), finding.id());
            assertEquals(tool.uid(), finding.pluginUniqueIdentifier());
            assertEquals("Dify 1.17.0 cannot parse this declaration: tool.tools[1].parameters[1].multiple breaks rule"
                    + " 'multiple_only_for_select': expected type one of [select, dynamic-select] when multiple is true,"
                    + " found type 'files'. Page that fails with 'Failed to parse response from plugin daemon to"
                    + " PluginDaemonBasicResponse': Tools (GET plugin/{tenant}/management/tools), for every workspace that"
                    + " installed the plugin: 3 tenant(s), e.g. " + f.dataset.tenants.get(0) + ", " + f.dataset.tenants.get(1)
                    + ", " + f.dataset.tenants.get(2) + ". Fix: install a plugin version whose declaration passes"
                    + " (report-only)", finding.detail());
        }
    }
}
