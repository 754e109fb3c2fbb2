package dify.reconciler.run;

import static dify.reconciler.catalog.FindingKind.INSTALLATION_TENANT_MISSING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.DifyDatabaseSettings;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.detect.FindingSink;
import dify.reconciler.detect.GraceWindow;
import dify.reconciler.inventory.postgres.DaemonDatabaseReader;
import dify.reconciler.inventory.postgres.DifyTenantsReader;
import dify.reconciler.testsupport.DifyApiDatabase;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code installation_tenant_missing} against real PostgreSQL: the daemon's database (a realistic seeded dataset on
 * local storage) and, on the same server, a second database holding Dify's {@code tenants} as the API creates it.
 * Settings go through the real {@link ReconcilerConfig} mapping and {@link DifyDatabaseSettings}, as the service's.
 */
class TenantMissingTest {

    private static final Instant OLD = DriftFixture.SEEDED_AT;

    /** A workspace of Dify whose id has letters (the dataset's have none), so its spelling can differ. */
    private static final UUID WITH_LETTERS = UUID.fromString("abcdef00-0000-4000-8000-0000000000cd");

    /** Everything that exists now counts as old. */
    private static GraceWindow allOld() {
        return new GraceWindow(Instant.now().plus(Duration.ofHours(1)));
    }

    /** A workspace id one character away from the dataset's third tenant (…0002 -> …000a). */
    private static UUID nearMiss(DriftFixture f) {
        String existing = f.dataset.tenants.get(2).toString();
        return UUID.fromString(existing.substring(0, existing.length() - 1) + "a");
    }

    @Test
    void aDeletedWorkspaceIsReportedOnceWithItsRowsPerTableAndNothingElseIs() throws Exception {
        try (DriftFixture f = new DriftFixture(DriftFixture.Store.LOCAL, SchemaFixture.CURRENT);
                TestDatabase dify = difyDatabase(f)) {
            UUID deleted = nearMiss(f);
            List<String> plugins = plantWorkspace(f, deleted, OLD);
            // Least privilege as docs/deploying.md gives it: SELECT on tenants.id only.
            try (Connection c = dify.connect(); Statement st = c.createStatement()) {
                st.execute("REVOKE SELECT ON tenants FROM " + EmbeddedPostgres.READER_USER);
                st.execute("GRANT SELECT (id) ON tenants TO " + EmbeddedPostgres.READER_USER);
            }
            // An existing workspace spelled in upper case where the daemon keeps tenant ids as text: not missing.
            f.rows.insertTenantStorage(WITH_LETTERS.toString().toUpperCase(), f.dataset.localPlugin(2).pluginId(), 0, OLD);

            FindingSink sink = scan(f, settings(f, Map.of("reconciler.dify-database", dify.name())), allOld());

            assertEquals(Map.of(INSTALLATION_TENANT_MISSING, 1L), DriftFixture.counts(sink), () -> "findings: " + sink.findings());
            assertEquals(List.of(), sink.notes());
            Finding finding = sink.findings().get(0);
            assertEquals("tenants", finding.table());
            assertEquals(deleted.toString(), finding.id());
            assertEquals(deleted.toString(), finding.tenantId());
            assertEquals(ObservedVersion.row(OLD.truncatedTo(ChronoUnit.MICROS)), finding.observed());
            assertEquals("workspace " + deleted + " is not in Dify's tenants (deleted in Dify?) but the daemon still keeps"
                    + " 2 installation(s), 2 category row(s), 1 endpoint(s), 1 tenant_storages row(s) of 2 plugin(s): "
                    + String.join(", ", plugins) + ". Nobody can see or use them, yet they keep refers pinned and the"
                    + " plugins' objects and runtimes alive; expected none (an uninstall for this workspace removes them)",
                    finding.detail());
        }
    }

    @Test
    void rowsInsideTheGracePeriodAreCountedNotJudged() throws Exception {
        try (DriftFixture f = new DriftFixture(DriftFixture.Store.LOCAL, SchemaFixture.CURRENT);
                TestDatabase dify = difyDatabase(f)) {
            Instant now = Instant.now();
            plantWorkspace(f, nearMiss(f), now); // a workspace whose rows are being written now
            GraceWindow grace = new GraceWindow(now.minus(Duration.ofHours(1)));
            Optional<DifyDatabaseSettings> on = settings(f, Map.of("reconciler.dify-database", dify.name()));

            FindingSink checked = scan(f, on, grace);
            FindingSink unchecked = scan(f, Optional.empty(), grace);
            assertEquals(0, checked.count(INSTALLATION_TENANT_MISSING), () -> "findings: " + checked.findings());
            // Its 2 installations, 2 category rows, endpoint and tenant_storages row, left out by this check.
            assertEquals(unchecked.rowsInGrace() + 6, checked.rowsInGrace());
            // Once they are old, the same workspace is reported.
            assertEquals(1, scan(f, on, allOld()).count(INSTALLATION_TENANT_MISSING));
        }
    }

    @Test
    void theAllZeroTenantOfOldDaemonsGlobalInstallationsIsNoWorkspace() throws Exception {
        try (DriftFixture f = new DriftFixture(DriftFixture.Store.LOCAL, SchemaFixture.CURRENT);
                TestDatabase dify = difyDatabase(f)) {
            DifyDataset.Plugin p = f.dataset.localPlugin(0);
            f.rows.insertInstallation(new UUID(0, 0), p.pluginId(), p.uid(), "local", "marketplace", OLD);
            f.rows.execute("UPDATE plugins SET refers = refers + 1 WHERE id = ?", p.pluginRowId());
            FindingSink sink = scan(f, settings(f, Map.of("reconciler.dify-database", dify.name())), allOld());
            assertEquals(0, sink.count(INSTALLATION_TENANT_MISSING), () -> "findings: " + sink.findings());
            assertEquals(Map.of(), sink.checksNotRun());
        }
    }

    @Test
    void offByDefault() throws Exception {
        try (DriftFixture f = new DriftFixture(DriftFixture.Store.LOCAL, SchemaFixture.CURRENT)) {
            plantWorkspace(f, nearMiss(f), OLD);
            Optional<DifyDatabaseSettings> settings = settings(f, Map.of());
            assertEquals(Optional.empty(), settings);
            FindingSink sink = scan(f, settings, allOld());
            assertEquals(Map.of(), DriftFixture.counts(sink), () -> "findings: " + sink.findings());
            assertEquals(List.of(), sink.notes());
            assertEquals(Map.of(), sink.checksNotRun());
        }
    }

    /**
     * Dify's database empty (a restore in progress) or another installation's (the same server holds several): every
     * workspace would read as deleted. The check does not run and says why, instead of flooding the report.
     */
    @Test
    void aDifyDatabaseSharingNoWorkspaceWithTheDaemonIsACheckNotRunNotEveryWorkspaceDeleted() throws Exception {
        try (DriftFixture f = new DriftFixture(DriftFixture.Store.LOCAL, SchemaFixture.CURRENT);
                TestDatabase empty = DifyApiDatabase.create(f.db.server(), List.of());
                TestDatabase foreign = DifyApiDatabase.create(f.db.server(),
                        List.of(nearMiss(f), UUID.fromString("30000000-0000-4000-8000-00000000000c")))) {
            plantWorkspace(f, UUID.fromString("10000000-0000-4000-8000-00000000000a"), OLD);
            Map<String, String> expected = Map.of(empty.name(), "Dify's tenants is empty: not the database of this daemon's"
                    + " Dify (reconciler.dify-database), or a restore in progress; reporting every workspace as deleted would"
                    + " be wrong", foreign.name(),
                    "Dify's tenants (2 workspace(s)) holds none of the "
                            + (f.dataset.tenants.size() + 1) + " workspace(s) the daemon keeps rows for: not the database of"
                            + " this daemon's Dify (reconciler.dify-database), or a restore in progress; reporting every"
                            + " workspace as deleted would be wrong");
            for (Map.Entry<String, String> c : expected.entrySet()) {
                List<String> log = new ArrayList<>();
                FindingSink sink = withLog(log,
                        () -> scan(f, settings(f, Map.of("reconciler.dify-database", c.getKey())), allOld()));
                assertEquals(Map.of(INSTALLATION_TENANT_MISSING, c.getValue()), sink.checksNotRun());
                assertEquals(Map.of(), DriftFixture.counts(sink), () -> "findings: " + sink.findings());
                assertTrue(log.stream().anyMatch(l -> l.contains(c.getValue())), () -> "log: " + log);
            }
        }
    }

    /**
     * Each way Dify's tenants can be out of reach: the check does not run, the report and the log say why and name
     * the setting, the rest of the scan completes, and the planted drift is not reported as absent nor present.
     */
    @Test
    void whenDifysTenantsCannotBeReadTheCheckDidNotRunAndSaysWhy() throws Exception {
        String secret = "wrong-pw-" + UUID.randomUUID();
        try (DriftFixture f = new DriftFixture(DriftFixture.Store.LOCAL, SchemaFixture.CURRENT);
                TestDatabase dify = difyDatabase(f);
                TestDatabase noTenants = f.db.server().createDatabase()) {
            plantWorkspace(f, nearMiss(f), OLD);
            try (Connection c = dify.connect(); Statement st = c.createStatement()) {
                st.execute("REVOKE SELECT ON tenants FROM " + EmbeddedPostgres.READER_USER);
            }
            Map<String, String> cases = new LinkedHashMap<>();
            cases.put("the user may not SELECT \"public\".\"tenants\" in Dify's database postgresql://localhost:"
                    + f.db.port() + "/" + dify.name() + " (user " + EmbeddedPostgres.READER_USER
                    + ", sslmode disable) (reconciler.dify-database, DB_HOST, DB_PORT, DB_USERNAME, DB_PASSWORD):"
                    + " GRANT SELECT ON tenants to it (docs/deploying.md)", "reconciler.dify-database=" + dify.name());
            cases.put("no table tenants on the search_path in Dify's database", "reconciler.dify-database=" + noTenants.name());
            cases.put("cannot connect to Dify's database postgresql://localhost:" + f.db.port() + "/dify (user "
                    + EmbeddedPostgres.READER_USER + ", sslmode disable) (reconciler.dify-database, DB_HOST, DB_PORT,"
                    + " DB_USERNAME, DB_PASSWORD): FATAL: database \"dify\" does not exist", "reconciler.dify-database=dify");
            cases.put("cannot connect to Dify's database postgresql://localhost:" + f.db.port() + "/" + dify.name()
                    + " (user " + EmbeddedPostgres.DAEMON_USER + ") (reconciler.dify-database-url,"
                    + " reconciler.dify-database-username, reconciler.dify-database-password): FATAL: password authentication"
                    + " failed for user \"" + EmbeddedPostgres.DAEMON_USER + "\"",
                    "reconciler.dify-database-url=" + dify.jdbcUrl() + "?sslmode=disable;reconciler.dify-database-username="
                            + EmbeddedPostgres.DAEMON_USER + ";reconciler.dify-database-password=" + secret);
            for (Map.Entry<String, String> c : cases.entrySet()) {
                Map<String, String> properties = new HashMap<>();
                for (String setting : c.getValue().split(";")) {
                    properties.put(setting.substring(0, setting.indexOf('=')), setting.substring(setting.indexOf('=') + 1));
                }
                List<String> log = new ArrayList<>();
                FindingSink sink = withLog(log, () -> scan(f, settings(f, properties), allOld()));
                String reason = sink.checksNotRun().get(INSTALLATION_TENANT_MISSING);
                assertTrue(reason != null && reason.startsWith(c.getKey()), () -> "expected '" + c.getKey() + "…', got: " + reason);
                assertEquals(List.of("the installation_tenant_missing check did not run: " + reason), sink.notes());
                assertEquals(Map.of(), DriftFixture.counts(sink), () -> "findings: " + sink.findings());
                assertTrue(log.stream().anyMatch(l -> l.contains(reason)), () -> "log: " + log);
                for (String text : Stream.concat(log.stream(), sink.notes().stream()).toList()) {
                    assertFalse(text.contains(secret), "the password leaked: " + text);
                    assertFalse(text.contains(EmbeddedPostgres.READER_PASSWORD), "the password leaked: " + text);
                }
            }
        }
    }

    /**
     * Dify's API migrating {@code tenants} (ACCESS EXCLUSIVE) while the scan reads it: the scan's backend on Dify's
     * database is ended at once, the migration gets its lock within a second, and the read fails the run.
     */
    @Test
    void difysMigrationNeverWaitsOnTheScanWhichFailsInstead() throws Exception {
        try (DriftFixture f = new DriftFixture(DriftFixture.Store.LOCAL, SchemaFixture.CURRENT);
                TestDatabase dify = difyDatabase(f);
                DifyTenantsReader reader = DifyTenantsReader
                        .open(settings(f, Map.of("reconciler.dify-database", dify.name())).orElseThrow(), Duration.ofSeconds(30), 1)) {
            long[] waited = {-1};
            RuntimeException failure = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                    () -> reader.withTenantIds(ids -> {
                        ids.next(); // the scan now holds its ACCESS SHARE lock on tenants
                        try (Connection migration = dify.connect(); Statement st = migration.createStatement()) {
                            migration.setAutoCommit(false);
                            st.execute("SET LOCAL lock_timeout = '5s'"); // so a scan that does not yield fails this, not hangs
                            long t0 = System.nanoTime();
                            st.execute("LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE");
                            waited[0] = (System.nanoTime() - t0) / 1_000_000;
                            migration.rollback();
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                        while (ids.hasNext()) {
                            ids.next();
                        }
                    }));
            assertTrue(waited[0] >= 0 && waited[0] < 1000, "the migration waited " + waited[0] + " ms");
            assertTrue(failure instanceof dify.reconciler.inventory.postgres.ScanYieldedException, failure.toString());
            assertTrue(failure.getMessage().contains("on Dify's database"), failure.getMessage());
        }
    }

    /**
     * Rows of workspace {@code tenant} in every table the check reads, consistent among themselves (refers raised,
     * each category row and the endpoint beside an installation, the tenant_storages size what is stored): only the
     * workspace itself is wrong. Returns the plugin ids named, in byte order.
     */
    private static List<String> plantWorkspace(DriftFixture f, UUID tenant, Instant at) {
        List<String> pluginIds = new ArrayList<>();
        for (DifyDataset.Plugin p : List.of(f.dataset.localPlugin(0), f.dataset.localPlugin(1))) {
            f.rows.insertInstallation(tenant, p.pluginId(), p.uid(), "local", "marketplace", at);
            f.rows.insertCategoryRow(p.categoryTable(), tenant, p.pluginId().split("/")[1], p.uid(), p.pluginId(), at);
            f.rows.execute("UPDATE plugins SET refers = refers + 1 WHERE id = ?", p.pluginRowId());
            pluginIds.add(p.pluginId());
        }
        f.rows.insertEndpoint(tenant.toString(), f.dataset.localPlugin(0).pluginId(), "hook-" + tenant, "default", at);
        f.rows.insertTenantStorage(tenant.toString(), f.dataset.localPlugin(1).pluginId(), 0, at);
        pluginIds.sort(null);
        return pluginIds;
    }

    /** Dify's database beside the daemon's: the dataset's three workspaces, one without plugins, one with letters. */
    private static TestDatabase difyDatabase(DriftFixture f) throws SQLException {
        List<UUID> ids = new ArrayList<>(f.dataset.tenants);
        ids.add(UUID.fromString("20000000-0000-4000-8000-00000000000b"));
        ids.add(WITH_LETTERS);
        return DifyApiDatabase.create(f.db.server(), ids);
    }

    /** The settings as the service reads them: our mapping over {@code properties}, the daemon's variables of the scan. */
    private static Optional<DifyDatabaseSettings> settings(DriftFixture f, Map<String, String> properties) {
        ReconcilerConfig config = new SmallRyeConfigBuilder().withMapping(ReconcilerConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 300)).build()
                .getConfigMapping(ReconcilerConfig.class);
        Map<String, String> env = Map.of("DB_HOST", f.db.host(), "DB_PORT", Integer.toString(f.db.port()), "DB_USERNAME",
                f.db.username(), "DB_DATABASE", f.db.name(), "PLUGIN_STORAGE_TYPE", "local", "PLUGIN_STORAGE_LOCAL_ROOT", "/tmp");
        DaemonSettings daemon = DaemonSettings.from(name -> Optional.ofNullable(env.get(name)));
        return DifyDatabaseSettings.from(config, daemon, Optional.of(f.db.password()));
    }

    /** A scan as {@link ScanRunner} wires it. */
    private static FindingSink scan(DriftFixture f, Optional<DifyDatabaseSettings> dify, GraceWindow grace) {
        FindingSink sink = new FindingSink(1000);
        try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(f.db.readerDataSource(), "public", 100, f.db.toString())) {
            Scan scan = new Scan(reader, f.storage, f.layout, grace, Instant.now().minus(Duration.ofHours(1)), false, sink);
            dify.ifPresent(settings -> scan.withDifyTenants(() -> DifyTenantsReader.open(settings, Duration.ofSeconds(30), 100)));
            scan.run();
        } catch (Exception e) {
            throw new AssertionError("scan failed: " + e.getMessage(), e);
        }
        return sink;
    }

    /** Runs {@code action} while collecting what the scan logs (message and arguments, as a handler would write them). */
    private static <T> T withLog(List<String> lines, java.util.function.Supplier<T> action) {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(Scan.class.getName());
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                lines.add(record.getMessage() + " " + Arrays.toString(record.getParameters()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        try {
            return action.get();
        } finally {
            logger.removeHandler(handler);
        }
    }
}
