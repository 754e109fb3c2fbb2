package dify.reconciler.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.config.RedisSettings;
import dify.reconciler.inventory.storage.LocalObjectStorage;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.S3ObjectStorage;
import dify.reconciler.it.LeastPrivilegeIT;
import dify.reconciler.remediate.record.QuarantinePrefix;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.ForwardingStorage;
import dify.reconciler.testsupport.RedisServer;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The doctor's checks against real parts, without starting the application: embedded PostgreSQL with the read-only
 * role, the daemon's owner and a role with exactly the documented armed grants; a real local folder; S3Proxy; a real
 * redis-server. Each scenario a user meets: all ok, a missing grant (named, with the GRANT that fixes it, which is
 * then run and fixes it), a bucket that refuses us, Redis down, a clock beyond the tolerance, and report mode that
 * writes nothing.
 */
class DoctorChecksTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** The default {@code reconciler.cache.timeout}. */
    private static final Duration REDIS_TIMEOUT = Duration.ofSeconds(2);
    private static final QuarantinePrefix QUARANTINE = QuarantinePrefix.of("reconciler-quarantine/", StorageLayout.DEFAULT);

    private static TestDatabase db;

    @BeforeAll
    static void database() {
        db = SchemaFixture.CURRENT.newDatabase();
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    private static DatabaseChecks.Result databaseChecks(DataSource as, boolean armed, Clock clock) {
        return new DatabaseChecks(as, null, "test database", armed, clock, TIMEOUT).run();
    }

    private static DoctorCheck line(List<DoctorCheck> checks, String name) {
        return checks.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no line " + name + " in " + checks));
    }

    private static void assertAllOk(List<DoctorCheck> checks) {
        checks.forEach(c -> assertEquals(DoctorStatus.OK, c.status(), c.toString()));
    }

    @Test
    void theReadOnlyRoleHasEveryReportModeGrantAndARevokedOneIsNamedWithTheGrantThatFixesIt() throws Exception {
        DatabaseChecks.Result ok = databaseChecks(db.readerDataSource(), false, Clock.systemUTC());
        assertEquals(List.of("database", "daemon schema", "grants (report mode)", "lock watch"),
                ok.checks().stream().map(DoctorCheck::name).toList());
        assertAllOk(ok.checks());
        assertTrue(line(ok.checks(), "database").detail().matches("reachable: PostgreSQL \\d+.*as plugin_reconciler_ro.*"),
                line(ok.checks(), "database").detail());
        assertNotNull(ok.clock());

        try (Connection owner = db.connect(); Statement st = owner.createStatement()) {
            st.execute("REVOKE SELECT ON endpoints FROM " + EmbeddedPostgres.READER_USER);
        }
        DoctorCheck missing = line(databaseChecks(db.readerDataSource(), false, Clock.systemUTC()).checks(), "grants (report mode)");
        assertEquals(DoctorStatus.FAIL, missing.status(), missing.toString());
        assertEquals("plugin_reconciler_ro lacks SELECT on endpoints: every scan fails", missing.detail());
        assertEquals("as the daemon's database owner: GRANT SELECT ON public.endpoints TO plugin_reconciler_ro;", missing.fix());

        // The fix, run as it says, is the fix.
        try (Connection owner = db.connect(); Statement st = owner.createStatement()) {
            st.execute(missing.fix().substring(missing.fix().indexOf("GRANT")));
        }
        assertEquals(DoctorStatus.OK,
                line(databaseChecks(db.readerDataSource(), false, Clock.systemUTC()).checks(), "grants (report mode)").status());
    }

    @Test
    void armedTheReadOnlyRoleFailsWithEveryMissingGrantAndTheDocumentedGrantsPass() throws Exception {
        DoctorCheck reader = line(databaseChecks(db.readerDataSource(), true, Clock.systemUTC()).checks(), "grants (armed)");
        assertEquals(DoctorStatus.FAIL, reader.status(), reader.toString());
        assertTrue(reader.detail().contains("DELETE, INSERT, UPDATE (refers) on plugins"), reader.detail());
        assertTrue(reader.detail().contains("UPDATE (size) on tenant_storages"), reader.detail());
        assertTrue(reader.fix().contains("GRANT DELETE, INSERT, UPDATE (updated_at) ON public.endpoints TO plugin_reconciler_ro;"),
                reader.fix());

        String role = "doctor_rw_" + UUID.randomUUID().toString().substring(0, 8);
        try (Connection su = db.server().connectTo(db.name()); Statement st = su.createStatement()) {
            st.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'doctor-rw-pw'");
        }
        try {
            try (Connection owner = db.connect(); Statement st = owner.createStatement()) {
                for (String grant : LeastPrivilegeIT.README_GRANTS) {
                    st.execute(grant.replace(LeastPrivilegeIT.ROLE, role));
                }
            }
            PGSimpleDataSource asRole = new PGSimpleDataSource();
            asRole.setURL(db.jdbcUrl());
            asRole.setUser(role);
            asRole.setPassword("doctor-rw-pw");
            DatabaseChecks.Result armed = databaseChecks(asRole, true, Clock.systemUTC());
            assertEquals(List.of("database", "daemon schema", "grants (report mode)", "grants (armed)", "lock watch"),
                    armed.checks().stream().map(DoctorCheck::name).toList());
            assertAllOk(armed.checks());
        } finally {
            try (Connection su = db.server().connectTo(db.name()); Statement st = su.createStatement()) {
                st.execute("DROP OWNED BY " + role);
                st.execute("DROP ROLE " + role);
            }
        }
    }

    @Test
    void anUnreachableDatabaseIsOneFailLineWithItsFix() {
        PGSimpleDataSource nowhere = new PGSimpleDataSource();
        nowhere.setURL("jdbc:postgresql://127.0.0.1:" + S3ProxyServer.freeLoopbackPort() + "/dify_plugin");
        nowhere.setUser("nobody");
        DatabaseChecks.Result r = databaseChecks(nowhere, false, Clock.systemUTC());
        assertEquals(1, r.checks().size(), r.toString());
        assertEquals(DoctorStatus.FAIL, r.checks().get(0).status());
        assertTrue(r.checks().get(0).fix().startsWith("check DB_HOST, DB_PORT"), r.toString());
        assertNull(r.clock());
    }

    @Test
    void aClockBeyondTheToleranceWarnsAndOurOwnClockDoesNot() {
        ClockSample ours = databaseChecks(db.readerDataSource(), false, Clock.systemUTC()).clock();
        assertEquals(DoctorStatus.OK, ClockSkewCheck.evaluate(ours, null, false, Duration.ofSeconds(30)).status());

        // Our clock ten minutes ahead of the database's (and of the local folder's file times).
        Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(10));
        ClockSample skewed = databaseChecks(db.readerDataSource(), false, ahead).clock();
        DoctorCheck skew = ClockSkewCheck.evaluate(skewed, null, false, Duration.ofSeconds(30));
        assertEquals(DoctorStatus.WARN, skew.status(), skew.toString());
        assertTrue(skew.detail().matches("database vs ours beyond the tolerance: database -(599\\.9\\d\\d|600\\.0\\d\\d)s .*"),
                skew.detail());
        assertTrue(skew.detail().contains("storage not measured in report mode or without the write probe"), skew.detail());
        assertTrue(skew.fix().contains("NTP"), skew.fix());
    }

    @Test
    void armedLocalStorageProbesTheQuarantinePrefixOnlyAndMeasuresItsClock(@TempDir Path root) throws IOException {
        seed(root);
        Map<String, String> before = files(root);
        StorageChecks.Result r = new StorageChecks(new LocalObjectStorage(root), StorageLayout.DEFAULT, QUARANTINE, Clock.systemUTC())
                .run();
        assertEquals(List.of("storage plugin_packages/", "storage plugin/", "storage assets/", "storage persistence/",
                "storage write probe", "storage key with ':' and '@'"), r.checks().stream().map(DoctorCheck::name).toList());
        assertAllOk(r.checks());
        assertEquals("listable; plugin_packages/langgenius/a-0.0.1.difypkg readable (4 byte(s) read)",
                line(r.checks(), "storage plugin_packages/").detail());
        assertTrue(line(r.checks(), "storage key with ':' and '@'").detail()
                .matches("reconciler-quarantine/doctor-probe/langgenius/probe:0\\.0\\.1@[0-9a-f]{32}\\.difypkg written, listed, read"
                        + " back and deleted"),
                r.toString());
        assertEquals(before, files(root), "every daemon object as it was, nothing left behind");
        assertNotNull(r.clock());
        assertEquals(DoctorStatus.OK, ClockSkewCheck.evaluate(null, r.clock(), true, Duration.ofSeconds(30)).status());

        Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(10));
        ClockSample storageSkew = new StorageChecks(new LocalObjectStorage(root), StorageLayout.DEFAULT, QUARANTINE, ahead).run().clock();
        DoctorCheck skew = ClockSkewCheck.evaluate(null, storageSkew, true, Duration.ofSeconds(30));
        assertEquals(DoctorStatus.WARN, skew.status(), skew.toString());
        assertTrue(skew.detail().startsWith("storage vs ours beyond the tolerance"), skew.detail());
    }

    @Test
    void reportModeWritesNothingAndSaysTheProbesWereSkipped(@TempDir Path root) throws IOException {
        seed(root);
        Map<String, String> before = files(root);
        StorageChecks.Result r = new StorageChecks(readOnlyView(new LocalObjectStorage(root)), StorageLayout.DEFAULT, null,
                Clock.systemUTC()).run();
        assertAllOk(r.checks());
        assertTrue(line(r.checks(), "storage write probe").detail().startsWith("skipped: report mode writes nothing"), r.toString());
        assertTrue(line(r.checks(), "storage key with ':' and '@'").detail().startsWith("skipped: report mode writes nothing"),
                r.toString());
        assertNull(r.clock());
        assertEquals(before, files(root));
    }

    @Test
    void aStorageThatRejectsColonsInKeysFailsTheKeyProbeWithTheDaemonIssues(@TempDir Path root) throws IOException {
        seed(root);
        StorageChecks.Result r = new StorageChecks(rejectingColons(new LocalObjectStorage(root)), StorageLayout.DEFAULT, QUARANTINE,
                Clock.systemUTC()).run();
        assertEquals(DoctorStatus.OK, line(r.checks(), "storage write probe").status(), r.toString());
        DoctorCheck colon = line(r.checks(), "storage key with ':' and '@'");
        assertEquals(DoctorStatus.FAIL, colon.status(), colon.toString());
        assertTrue(colon.detail().startsWith("cannot write reconciler-quarantine/doctor-probe/langgenius/probe:0.0.1@"), colon.detail());
        assertTrue(colon.fix().contains("langgenius/dify-plugin-daemon#314, langgenius/dify#28239"), colon.fix());
    }

    @Test
    void s3WithWrongCredentialsOrAMissingBucketFailsEveryPrefixAndTheProbes() {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("doctor-" + UUID.randomUUID().toString().substring(0, 8));
        s3.putDirectly(bucket, "plugin_packages/langgenius/a-0.0.1.difypkg", "PK\u0003\u0004zip".getBytes(StandardCharsets.UTF_8));
        try (ObjectStorage good = S3ObjectStorage.create(s3.settings(bucket))) {
            assertAllOk(new StorageChecks(good, StorageLayout.DEFAULT, QUARANTINE, Clock.systemUTC()).run().checks());
        }
        try (ObjectStorage wrongKey = new S3ObjectStorage(S3ProxyServer.newClient(s3.endpoint(), s3.accessKey(), "not-the-secret"),
                bucket)) {
            List<DoctorCheck> checks = new StorageChecks(wrongKey, StorageLayout.DEFAULT, QUARANTINE, Clock.systemUTC()).run().checks();
            checks.forEach(c -> assertEquals(DoctorStatus.FAIL, c.status(), c.toString()));
            assertTrue(line(checks, "storage plugin_packages/").fix().startsWith("check the bucket name, endpoint, credentials"));
        }
        try (ObjectStorage missing = S3ObjectStorage.create(s3.settings("no-such-bucket-" + UUID.randomUUID()))) {
            List<DoctorCheck> checks = new StorageChecks(missing, StorageLayout.DEFAULT, null, Clock.systemUTC()).run().checks();
            assertEquals(DoctorStatus.FAIL, line(checks, "storage plugin/").status(), checks.toString());
        }
    }

    @Test
    void redisWithTheDaemonsPrefixIsOkAnotherPrefixWarnsAndDownFailsArmedOnly() {
        try (RedisServer redis = RedisServer.started()) {
            Map<String, String> env = Map.of("REDIS_HOST", redis.host(), "REDIS_PORT", String.valueOf(redis.port()), "REDIS_PASSWORD",
                    RedisServer.PASSWORD, "REDIS_DB", "3");
            Optional<RedisSettings> settings = RedisSettings.from(n -> Optional.ofNullable(env.get(n)));
            DoctorCheck empty = RedisCheck.run(settings, REDIS_TIMEOUT, true);
            assertEquals(DoctorStatus.OK, empty.status(), empty.toString());

            redis.withClient(3, c -> c.set("other_daemon:plugin_state", "x"));
            DoctorCheck otherPrefix = RedisCheck.run(settings, REDIS_TIMEOUT, true);
            assertEquals(DoctorStatus.WARN, otherPrefix.status(), otherPrefix.toString());
            assertTrue(otherPrefix.fix().startsWith("set REDIS_KEY_PREFIX"), otherPrefix.fix());

            redis.withClient(3, c -> c.set("plugin_daemon:plugin_state", "x"));
            DoctorCheck daemons = RedisCheck.run(settings, REDIS_TIMEOUT, true);
            assertEquals(DoctorStatus.OK, daemons.status(), daemons.toString());
            assertTrue(daemons.detail().contains("keys under plugin_daemon: exist"), daemons.detail());

            redis.stop();
            DoctorCheck down = RedisCheck.run(settings, REDIS_TIMEOUT, true);
            assertEquals(DoctorStatus.FAIL, down.status(), down.toString());
            assertTrue(down.detail().startsWith("cannot reach redis://" + redis.host() + ":" + redis.port() + "/3"), down.detail());
            assertEquals(DoctorStatus.WARN, RedisCheck.run(settings, REDIS_TIMEOUT, false).status());
        }
        assertEquals(DoctorStatus.OK, RedisCheck.run(Optional.empty(), REDIS_TIMEOUT, false).status());
        assertEquals(DoctorStatus.WARN, RedisCheck.run(Optional.empty(), REDIS_TIMEOUT, true).status());
    }

    /** A package and an installed copy, as the daemon lays them out. */
    private static void seed(Path root) throws IOException {
        write(root.resolve("plugin_packages/langgenius/a-0.0.1.difypkg"), "PK\u0003\u0004package");
        write(root.resolve("plugin/langgenius/a:0.0.1@" + "0".repeat(64)), "PK\u0003\u0004installed");
        write(root.resolve("assets/icon.svg"), "<svg/>");
    }

    private static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    /** Every file under {@code root} with its content. */
    private static Map<String, String> files(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).collect(Collectors.toMap(p -> root.relativize(p).toString(), p -> {
                try {
                    return Files.readString(p);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, (a, b) -> a, TreeMap::new));
        }
    }

    /** Fails the test on any write: report mode must not attempt one. */
    private static ObjectStorage readOnlyView(ObjectStorage real) {
        return new ForwardingStorage(real) {
            @Override
            public dify.reconciler.inventory.storage.StoredObject put(String key, java.io.InputStream content, long length,
                    dify.reconciler.inventory.storage.StoredObject expected) {
                throw new AssertionError("report mode wrote " + key);
            }
        };
    }

    /** What an SMB/CIFS or Windows-host folder does with a ':' in a file name (Java: InvalidPathException). */
    private static ObjectStorage rejectingColons(ObjectStorage real) {
        return new ForwardingStorage(real) {
            @Override
            public dify.reconciler.inventory.storage.StoredObject put(String key, java.io.InputStream content, long length,
                    dify.reconciler.inventory.storage.StoredObject expected) {
                if (key.contains(":")) {
                    throw new java.nio.file.InvalidPathException(key, "Illegal char <:>");
                }
                return super.put(key, content, length, expected);
            }
        };
    }
}
