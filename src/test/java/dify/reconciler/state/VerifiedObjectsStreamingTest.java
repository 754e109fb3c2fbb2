package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.KeyOrder;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.testsupport.Await;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.supplier.AgroalDataSourceConfigurationSupplier;
import io.agroal.api.security.NamePrincipal;
import io.agroal.api.security.SimplePassword;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Deep verify's cache in our schema is read and written without loading it: looked up a batch of keys at a time (on a database
 * whose collation is ICU en-US, not C, keys whose orders differ are found by equality); replaced from staged verdicts with set operations (a cached verdict keeps its stored values, a key not
 * kept is dropped, the bound keeps the most recent); a replacement closed without its commit changes nothing.
 */
class VerifiedObjectsStreamingTest {

    private static final String PACKAGES = "plugin_packages/";
    private static final Instant AT = Instant.parse("2026-12-07T05:00:00Z");

    /** Keys whose byte order differs from en-US's and from UTF-16's: case, punctuation, accents, U+E000, emoji. */
    private static final List<String> TRICKY = List.of("Z/1", "a/1", "a-b/1", "a_b/1", "ä/1", "\uE000/1", "😀/1", "a😀/1",
            "a\uE000/1", "b b/1", "B/1", "0/1");

    @Test
    void aLargeCacheIsLookedUpByBatchesOfKeysAndReplacedWithoutLoadingIt() {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            VerifiedObjects cache = new VerifiedObjects(TestStateStores.on(db.dataSource()), db.dataSource());
            assertTrue(cache.persisted());
            List<String> keys = new ArrayList<>();
            TRICKY.forEach(k -> keys.add(PACKAGES + k));
            for (int i = 0; i < 3_000; i++) {
                keys.add(PACKAGES + "author" + (i % 37) + "/plugin:" + i + "@" + Integer.toHexString(i * 7919));
            }
            keys.add("plugin/" + "a/1"); // another prefix: never read with plugin_packages/
            Collections.shuffle(keys, new Random(7)); // written in no order: the table's order is not the key order
            try (VerifiedObjects.CacheWriter writer = cache.replace()) {
                keys.forEach(k -> writer.keep(verdict(k, AT, "d-" + k.hashCode()), true));
                writer.commit(1_000_000);
            }

            List<String> expected = keys.stream().filter(k -> k.startsWith(PACKAGES)).sorted(KeyOrder.COMPARATOR).toList();
            // Looked up a batch at a time by key: the tricky keys (byte order and collation do not matter for equality), a
            // key of another prefix, a key never cached.
            List<String> batch = new ArrayList<>(TRICKY.stream().map(k -> PACKAGES + k).toList());
            batch.add("plugin/a/1");
            batch.add(PACKAGES + "never/cached:1@0");
            Map<String, VerifiedObject> found = cache.lookUp(batch);
            assertEquals(batch.subList(0, batch.size() - 1).stream().collect(Collectors.toSet()), found.keySet());
            found.forEach((k, v) -> assertEquals(verdict(k, AT, "d-" + k.hashCode()), v, k));
            assertEquals(expected.size(), cache.lookUp(expected).size(), "every key of the prefix");
            assertEquals(Map.of(), cache.lookUp(List.of()));

            // The next deep verify keeps half of them as cached (their stored values stay), re-reads a quarter (fresh),
            // and no longer lists the rest; a bound of 2,000 then keeps the most recently verified.
            Map<String, VerifiedObject> before = cache.load();
            Instant later = AT.plus(1, ChronoUnit.HOURS);
            List<String> cached = expected.subList(0, expected.size() / 2);
            List<String> fresh = expected.subList(expected.size() / 2, expected.size() * 3 / 4);
            try (VerifiedObjects.CacheWriter writer = cache.replace()) {
                // A cached verdict is staged as it was read; a different sha here must not be written over the stored one.
                cached.forEach(k -> writer.keep(verdict(k, AT, "ignored"), false));
                fresh.forEach(k -> writer.keep(verdict(k, later, "new-" + k.hashCode()), true));
                writer.commit(2_000);
            }
            Map<String, VerifiedObject> after = cache.load();
            assertEquals(2_000, after.size(), "bounded");
            fresh.forEach(k -> assertEquals(verdict(k, later, "new-" + k.hashCode()), after.get(k), k));
            List<String> survivors = cached.stream().filter(after::containsKey).toList();
            assertEquals(2_000 - fresh.size(), survivors.size(), "the most recent first: every fresh verdict, then cached ones");
            survivors.forEach(k -> assertEquals(before.get(k), after.get(k), "a cached verdict keeps its stored values: " + k));
            assertTrue(after.keySet().stream().allMatch(k -> cached.contains(k) || fresh.contains(k)), "only kept keys");

            // Closed without its commit: nothing changes.
            try (VerifiedObjects.CacheWriter writer = cache.replace()) {
                writer.keep(verdict(PACKAGES + "other", later, "x"), true);
            }
            assertEquals(after, cache.load());
            assertEquals(after, cache.lookUp(new ArrayList<>(after.keySet())));
        }
    }

    @Test
    void theWriterHoldsASessionOfItsOwnNotOneOfThePoolsAndWritesTheCacheAsBefore() throws Exception {
        // The service's wiring: the pool (two connections at most here: Flyway's migration takes two) and the cache built
        // as CDI builds it, from the datasource settings and the daemon's variables. While a deep verify writes (its
        // temporary table staged, the commit not yet made) the pool must still hand out both; before, the writer held
        // one of them throughout.
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase();
                AgroalDataSource pool = AgroalDataSource.from(new AgroalDataSourceConfigurationSupplier()
                        .connectionPoolConfiguration(cp -> cp.maxSize(2).acquisitionTimeout(Duration.ofSeconds(3))
                                .connectionFactoryConfiguration(cf -> cf.jdbcUrl(db.jdbcUrl())
                                        .principal(new NamePrincipal(EmbeddedPostgres.DAEMON_USER))
                                        .credential(new SimplePassword(EmbeddedPostgres.DAEMON_PASSWORD)))))) {
            VerifiedObjects cache = new VerifiedObjects(TestStateStores.on(pool),
                    new SmallRyeConfigBuilder().withDefaultValues(Map.of("quarkus.datasource.jdbc.url", db.jdbcUrl(),
                            "quarkus.datasource.username", EmbeddedPostgres.DAEMON_USER, "quarkus.datasource.password",
                            EmbeddedPostgres.DAEMON_PASSWORD)).build(),
                    DaemonSettings.from(n -> Optional.ofNullable(Map.of("DB_HOST", "localhost", "DB_USERNAME", EmbeddedPostgres.DAEMON_USER,
                            "PLUGIN_STORAGE_TYPE", "local").get(n))));
            assertTrue(cache.persisted());
            List<String> keys = List.of(PACKAGES + "a/1", PACKAGES + "b/2", PACKAGES + "c/3");
            try (VerifiedObjects.CacheWriter writer = cache.replace()) {
                keys.forEach(k -> writer.keep(verdict(k, AT, "d-" + k), true));
                try (Connection c = pool.getConnection();
                        Connection second = pool.getConnection();
                        PreparedStatement ps = c.prepareStatement("SELECT state, xact_start IS NULL FROM pg_stat_activity"
                                + " WHERE application_name = ? AND datname = current_database()")) {
                    assertTrue(second.isValid(5), "the pool's second connection");
                    ps.setString(1, VerifiedObjects.WRITER_APPLICATION_NAME);
                    try (ResultSet rs = ps.executeQuery()) {
                        assertTrue(rs.next(), "the writer's own session is not connected");
                        assertEquals("idle", rs.getString(1), "the writer's session between chunks");
                        assertTrue(rs.getBoolean(2), "a transaction is open on the writer's session between chunks");
                        assertFalse(rs.next(), "more than one writer session");
                    }
                }
                assertEquals(Map.of(), cache.lookUp(keys), "lookups go through the pool meanwhile");
                writer.commit(1_000);
            }
            Map<String, VerifiedObject> written = cache.load();
            assertEquals(keys.stream().collect(Collectors.toSet()), written.keySet());
            keys.forEach(k -> assertEquals(verdict(k, AT, "d-" + k), written.get(k), k));
            // Closed with its deep verify (a backend leaves pg_stat_activity a moment after its client closes).
            Await.until("the writer's session to end", Duration.ofSeconds(10), () -> {
                try (Connection c = pool.getConnection();
                        PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?")) {
                    ps.setString(1, VerifiedObjects.WRITER_APPLICATION_NAME);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        return rs.getInt(1) == 0;
                    }
                }
            });
        }
    }

    private static VerifiedObject verdict(String key, Instant at, String sha) {
        return new VerifiedObject(key, key.length(), AT.minusSeconds(60), "\"" + Integer.toHexString(key.hashCode()) + "\"", at,
                sha, null);
    }
}
