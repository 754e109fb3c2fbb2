package dify.reconciler.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.detect.FindingSink;
import dify.reconciler.detect.GraceWindow;
import dify.reconciler.inventory.postgres.DaemonDatabaseReader;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.run.DriftFixture.Store;
import dify.reconciler.state.TestStateStores;
import dify.reconciler.state.VerifiedObjects;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.ForwardingStorage;
import dify.reconciler.testsupport.SchemaFixture;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Deep verify reads its cache of verdicts in our schema without a transaction across storage I/O: while a package
 * download stalls, no session of the state database is in a transaction or holds a snapshot (before: a cursor's read
 * transaction stayed open on a pool connection through every download of a prefix, hours on a big bucket, holding back
 * vacuum everywhere in the database).
 */
class DeepVerifyCacheReadTest {

    private static final Duration FULL_EVERY = Duration.ofDays(7);
    private static final Instant T = Instant.now().truncatedTo(ChronoUnit.MICROS);

    @Test
    void aSlowPackageDownloadHoldsNoTransactionOfTheCache() throws Exception {
        try (DriftFixture f = new DriftFixture(Store.LOCAL.backend, SchemaFixture.CURRENT, 3)) {
            String application = "deep-verify-cache-" + UUID.randomUUID().toString().substring(0, 8);
            PGSimpleDataSource state = new PGSimpleDataSource();
            state.setURL(f.db.jdbcUrl() + "?ApplicationName=" + application);
            state.setUser(EmbeddedPostgres.DAEMON_USER);
            state.setPassword(EmbeddedPostgres.DAEMON_PASSWORD);
            VerifiedObjects cache = new VerifiedObjects(TestStateStores.on(state), state);
            scan(f, f.storage, new DeepVerifier.Caching(cache, T, FULL_EVERY, 1000));
            assertTrue(cache.load().size() > 2, "precondition: verdicts cached");

            // A week later every verdict is read again: the scan looks the cache up, then downloads; the second download stalls.
            CountDownLatch stalled = new CountDownLatch(1);
            CountDownLatch resume = new CountDownLatch(1);
            AtomicInteger opened = new AtomicInteger();
            ObjectStorage slow = new ForwardingStorage(f.storage) {
                @Override
                public InputStream open(String key) {
                    if (opened.incrementAndGet() == 2) {
                        stalled.countDown();
                        try {
                            resume.await(60, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    return super.open(key);
                }
            };
            ExecutorService scanner = Executors.newSingleThreadExecutor();
            try {
                Future<DeepVerifier.Counts> rescan = scanner.submit(() -> scan(f, slow,
                        new DeepVerifier.Caching(cache, T.plus(FULL_EVERY).plusSeconds(60), FULL_EVERY, 1000)));
                List<String> sessions = new ArrayList<>();
                try {
                    assertTrue(stalled.await(60, TimeUnit.SECONDS), "no second download");
                    try (Connection c = f.db.connect();
                            PreparedStatement ps = c.prepareStatement("SELECT state || ' xact=' || (xact_start IS NOT NULL)"
                                    + " || ' xmin=' || (backend_xmin IS NOT NULL) FROM pg_stat_activity WHERE application_name = ?")) {
                        ps.setString(1, application);
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                sessions.add(rs.getString(1));
                            }
                        }
                    }
                } finally {
                    resume.countDown();
                }
                // The cache's writer stages verdicts in a temporary table of its session, idle between chunks.
                assertTrue(sessions.stream().allMatch("idle xact=false xmin=false"::equals),
                        "state sessions during the download: " + sessions);
                assertEquals(0, rescan.get(60, TimeUnit.SECONDS).packagesVerifiedFromCache(), "every verdict was too old");
            } finally {
                scanner.shutdownNow();
            }
        }
    }

    private static DeepVerifier.Counts scan(DriftFixture f, ObjectStorage storage, DeepVerifier.Caching caching) {
        FindingSink sink = new FindingSink(1000);
        try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(f.db.readerDataSource(), "public", 100, f.db.toString())) {
            Scan scan = new Scan(reader, storage, f.layout, new GraceWindow(Instant.now().plus(Duration.ofHours(1))),
                    Instant.now().minus(Duration.ofHours(1)), true, sink).withVerifyCache(caching);
            scan.run();
            return scan.deepVerified();
        } catch (Exception e) {
            throw new AssertionError("scan failed: " + e.getMessage(), e);
        }
    }
}
