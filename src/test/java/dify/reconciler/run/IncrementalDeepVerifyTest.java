package dify.reconciler.run;

import static dify.reconciler.catalog.FindingKind.CHECKSUM_MISMATCH;
import static dify.reconciler.catalog.FindingKind.INSTALLED_COPY_DIFFERS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.detect.FindingSink;
import dify.reconciler.detect.GraceWindow;
import dify.reconciler.inventory.postgres.DaemonDatabaseReader;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.run.DriftFixture.Store;
import dify.reconciler.state.TestStateStores;
import dify.reconciler.state.VerifiedObjects;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.DifyPackageBuilder;
import dify.reconciler.testsupport.SchemaFixture;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Deep verify is incremental (issue 20): against a real PostgreSQL and a real S3Proxy bucket or local folder, a second
 * scan of an unchanged bucket reads at most 1 % of the bytes the first read and reports the same findings; a package
 * rewritten in place (same size, other bytes) is read again and its finding reported; the cache survives a restart of
 * the state store; every verdict is read again once older than {@code reconciler.deep-verify-full-every}; the cache
 * holds only listed keys, at most its bound; in memory it is lost with the process.
 */
class IncrementalDeepVerifyTest {

    private static final Duration FULL_EVERY = Duration.ofDays(7);
    private static final Instant T = Instant.now().truncatedTo(ChronoUnit.MICROS);

    /** One scan's findings (kind, key, detail) and what its deep verify read. */
    private record Scanned(Map<FindingKind, Long> counts, Set<String> findings, DeepVerifier.Counts read) {
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void aSecondScanReadsAlmostNothingARewriteIsReadAgainAndTheCacheOutlivesARestart(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            DifyDataset.Plugin truncated = f.dataset.localPlugin(3);
            f.put("plugin_packages/" + truncated.uid(), Arrays.copyOf(truncated.pkg().bytes(), truncated.pkg().bytes().length / 2));
            DifyDataset.Plugin copied = f.dataset.localPlugin(0);
            f.put("plugin/" + copied.uid(), signedCopyOf(copied).bytes());
            VerifiedObjects cache = new VerifiedObjects(TestStateStores.on(f.db.dataSource()), f.db.dataSource());
            assertTrue(cache.persisted(), "precondition: the owner persists state");

            Scanned first = scan(f, cache, T, 1000);
            assertEquals(Map.of(CHECKSUM_MISMATCH, 1L, INSTALLED_COPY_DIFFERS, 1L), first.counts());
            assertEquals(0, first.read().packagesVerifiedFromCache());
            Set<String> judged = cache.load().keySet();
            assertEquals(listedBytes(f, judged), first.read().packageBytesRead(), "the first scan reads every object whole");

            Scanned second = scan(f, cache, T.plusSeconds(3600), 1000);
            assertEquals(first.findings(), second.findings(), "cached verdicts report the same findings");
            assertTrue(second.read().packageBytesRead() <= first.read().packageBytesRead() / 100,
                    second.read() + " against " + first.read());
            assertEquals(judged.size(), second.read().packagesVerifiedFromCache());

            // Rewritten in place: same key, same size, other bytes (one file's text changed, so another identifier).
            DifyDataset.Plugin rewritten = f.dataset.localPlugin(1);
            BuiltPackage changed = DifyPackageBuilder.aPackage().author("langgenius").name(rewritten.pkg().name())
                    .version(rewritten.pkg().version()).icon("icon.svg", rewritten.iconBytes())
                    .file("main.py", "print('" + rewritten.pkg().name().toUpperCase(java.util.Locale.ROOT) + "')\n").build();
            byte[] other = changed.bytes();
            assertEquals(rewritten.pkg().bytes().length, other.length, "precondition: same size");
            f.put("plugin_packages/" + rewritten.uid(), other);
            Scanned third = scan(f, cache, T.plusSeconds(7200), 1000);
            assertEquals(Map.of(CHECKSUM_MISMATCH, 2L, INSTALLED_COPY_DIFFERS, 1L), third.counts());
            assertTrue(third.findings().stream().anyMatch(s -> s.startsWith("checksum_mismatch plugin_packages/" + rewritten.uid())
                    && s.contains(changed.identifier())), third.findings().toString());
            assertEquals(other.length, third.read().packageBytesRead(), "only the rewritten package is read");

            VerifiedObjects restarted = new VerifiedObjects(TestStateStores.on(f.db.dataSource()), f.db.dataSource());
            Scanned afterRestart = scan(f, restarted, T.plusSeconds(10_800), 1000);
            assertEquals(third.findings(), afterRestart.findings());
            assertEquals(0, afterRestart.read().packageBytesRead(), "the verdicts survived the restart");

            Scanned full = scan(f, restarted, T.plus(FULL_EVERY).plus(Duration.ofDays(1)), 1000);
            assertEquals(third.findings(), full.findings());
            assertEquals(0, full.read().packagesVerifiedFromCache(), "verdicts older than full-every are read again");
            assertEquals(listedBytes(f, judged), full.read().packageBytesRead());
            Scanned afterFull = scan(f, restarted, T.plus(FULL_EVERY).plus(Duration.ofDays(1)).plusSeconds(60), 1000);
            assertEquals(0, afterFull.read().packageBytesRead(), "the full read renewed every verdict");
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void theCacheHoldsOnlyListedKeysAtMostItsBoundAndInMemoryIsLostWithTheProcess(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            VerifiedObjects cache = new VerifiedObjects(TestStateStores.on(f.db.dataSource()), f.db.dataSource());
            scan(f, cache, T, 1000);
            Set<String> judged = Set.copyOf(cache.load().keySet());
            String removed = "plugin/" + f.dataset.localPlugin(4).uid();
            assertTrue(judged.contains(removed), "precondition: the installed copy was cached");
            f.delete(removed);
            scan(f, cache, T.plusSeconds(60), 1000);
            assertFalse(cache.load().containsKey(removed), "a key no longer listed is dropped");
            assertEquals(judged.size() - 1, cache.load().size());

            scan(f, cache, T.plusSeconds(120), 3);
            assertEquals(3, cache.load().size(), "bounded by reconciler.deep-verify-cache-max-entries");
            Scanned bounded = scan(f, cache, T.plusSeconds(180), 3);
            assertEquals(3, bounded.read().packagesVerifiedFromCache());
            assertEquals(3, cache.load().size());

            // The SELECT-only role keeps state in memory: the cache lives as long as this instance (the process).
            VerifiedObjects inMemory = new VerifiedObjects(TestStateStores.on(f.db.readerDataSource()), f.db.readerDataSource());
            assertFalse(inMemory.persisted(), "precondition: memory mode");
            long all = scan(f, inMemory, T, 1000).read().packageBytesRead();
            assertEquals(listedBytes(f, judged), all);
            assertEquals(0, scan(f, inMemory, T.plusSeconds(60), 1000).read().packageBytesRead());
            VerifiedObjects afterRestart = new VerifiedObjects(TestStateStores.on(f.db.readerDataSource()), f.db.readerDataSource());
            assertEquals(all, scan(f, afterRestart, T.plusSeconds(120), 1000).read().packageBytesRead());
        }
    }

    /** Same entries (so the same identifier), different bytes: a signature in the zip comment. */
    private static BuiltPackage signedCopyOf(DifyDataset.Plugin p) {
        return DifyPackageBuilder.aPackage().author("langgenius").name(p.pkg().name()).version(p.pkg().version())
                .icon("icon.svg", p.iconBytes()).file("main.py", "print('" + p.pkg().name() + "')\n").comment("signature: abc")
                .build();
    }

    private static Scanned scan(DriftFixture f, VerifiedObjects cache, Instant now, int maxEntries) {
        return scan(f, new DeepVerifier.Caching(cache, now, FULL_EVERY, maxEntries));
    }

    private static Scanned scan(DriftFixture f, DeepVerifier.Caching caching) {
        FindingSink sink = new FindingSink(1000);
        try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(f.db.readerDataSource(), "public", 100, f.db.toString())) {
            Scan scan = new Scan(reader, f.storage, f.layout, new GraceWindow(Instant.now().plus(Duration.ofHours(1))),
                    Instant.now().minus(Duration.ofHours(1)), true, sink).withVerifyCache(caching);
            scan.run();
            Set<String> findings = sink.findings().stream().map(x -> x.kind().label() + " " + x.key() + " " + x.detail())
                    .collect(Collectors.toCollection(TreeSet::new));
            return new Scanned(DriftFixture.counts(sink), findings, scan.deepVerified());
        } catch (Exception e) {
            throw new AssertionError("scan failed: " + e.getMessage(), e);
        }
    }

    /** The listed sizes of {@code keys}: what deep verify reads when it reads each of them whole. */
    private static long listedBytes(DriftFixture f, Set<String> keys) {
        return Stream.of(f.layout.packages(), f.layout.installed()).flatMap(f.storage::list)
                .filter(o -> keys.contains(o.key())).mapToLong(StoredObject::size).sum();
    }
}
