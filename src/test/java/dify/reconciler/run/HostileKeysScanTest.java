package dify.reconciler.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.KeyOrder;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.detect.FindingSink;
import dify.reconciler.detect.GraceWindow;
import dify.reconciler.inventory.postgres.DaemonDatabaseReader;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StorageException;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.run.DriftFixture.Store;
import dify.reconciler.testsupport.HostileInput;
import dify.reconciler.testsupport.SchemaFixture;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A bucket full of hostile keys (property test over seeded random keys): every Unicode plane, {@code ..},
 * {@code //}, 600-character segments, identifier look-alikes, keys that are prefixes of other keys, under the
 * daemon's prefixes and under look-alikes of them ({@code pluginx/}, {@code plugin_packages_/}). Beside a clean
 * dataset (real PostgreSQL, the objects of a real local folder), a scan with deep verify must end, must not
 * report anything about the clean objects or rows (a broken sorted merge would), must name only keys under the
 * daemon's prefixes, and must never read a key outside the prefixes it lists.
 */
class HostileKeysScanTest {

    private static final List<String> PREFIXES = List.of("plugin", "plugin_packages", "assets", "persistence", "pluginx",
            "plugin_packages_", "asset", "other", "");
    private static final List<String> SCANNED = List.of("plugin/", "plugin_packages/", "assets/");

    private static DriftFixture fixture;
    private static Map<String, StoredObject> clean;
    private static Map<String, byte[]> cleanBytes;

    @BeforeAll
    static void seed() {
        fixture = new DriftFixture(Store.LOCAL, SchemaFixture.CURRENT);
        clean = new TreeMap<>(KeyOrder.COMPARATOR);
        cleanBytes = new TreeMap<>(KeyOrder.COMPARATOR);
        for (String prefix : List.of("plugin_packages/", "plugin/", "assets/", "persistence/")) {
            try (Stream<StoredObject> listing = fixture.storage.list(prefix)) {
                listing.forEach(o -> {
                    clean.put(o.key(), o);
                    try (InputStream in = fixture.storage.open(o.key())) {
                        cleanBytes.put(o.key(), in.readAllBytes());
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
        assertTrue(clean.size() > 10, "the clean dataset has objects: " + clean.size());
    }

    @AfterAll
    static void close() {
        fixture.close();
    }

    @Test
    void aScanOfHostileKeysEndsAndReportsOnlyThoseUnderTheDaemonsPrefixes() {
        HostileInput.forEachSeed(60, in -> {
            List<String> hostile = in.keys(in.between(1, 40), PREFIXES);
            MemoryBucket bucket = new MemoryBucket();
            clean.forEach((k, o) -> bucket.put(o, cleanBytes.get(k)));
            Instant old = Instant.now().minus(Duration.ofDays(30));
            Set<String> added = new HashSet<>();
            for (String key : hostile) {
                if (!clean.containsKey(key)) {
                    byte[] bytes = in.chance(0.5) ? in.bytes(in.between(0, 200)) : cleanBytes.values().iterator().next();
                    bucket.put(new StoredObject(key, bytes.length, old, "\"" + Integer.toHexString(key.hashCode()) + "\""), bytes);
                    added.add(key);
                }
            }

            FindingSink sink = new FindingSink(100_000);
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(fixture.db.readerDataSource(), "public", 100,
                        fixture.db.toString())) {
                    new Scan(reader, bucket, StorageLayout.DEFAULT, new GraceWindow(Instant.now()),
                            Instant.now().minus(Duration.ofHours(1)), true, sink).run();
                }
            });

            for (Finding f : sink.findings()) {
                assertTrue(f.key() != null, "a clean dataset has no row finding, yet: " + f);
                assertTrue(added.contains(f.key()), "a finding about an object we did not add: " + f);
                assertTrue(SCANNED.stream().anyMatch(f.key()::startsWith), "a finding outside the scanned prefixes: " + f);
            }
            for (String read : bucket.opened) {
                assertTrue(SCANNED.stream().anyMatch(read::startsWith), "read a key outside the scanned prefixes: " + read);
            }
            long underInstalled = added.stream().filter(k -> k.startsWith("plugin/")).count();
            long installedFindings = sink.findings().stream().filter(f -> f.key().startsWith("plugin/")).count();
            // Every added key under plugin/ is either an invalid key or an orphaned copy: nothing references it.
            assertEquals(underInstalled, installedFindings, "findings under plugin/ for " + added);
        });
    }

    /** A bucket in memory that lists like S3 (every key starting with the prefix, in UTF-8 byte order). */
    private static final class MemoryBucket implements ObjectStorage {
        private final TreeMap<String, StoredObject> objects = new TreeMap<>(KeyOrder.COMPARATOR);
        private final Map<String, byte[]> bytes = new TreeMap<>(KeyOrder.COMPARATOR);
        final List<String> opened = new ArrayList<>();

        void put(StoredObject o, byte[] content) {
            objects.put(o.key(), o);
            bytes.put(o.key(), content);
        }

        @Override
        public Stream<StoredObject> list(String prefix) {
            return objects.values().stream().filter(o -> o.key().startsWith(prefix));
        }

        @Override
        public InputStream open(String key) {
            opened.add(key);
            byte[] b = bytes.get(key);
            if (b == null) {
                throw new StorageException("no such key: " + key);
            }
            return new ByteArrayInputStream(b);
        }

        @Override
        public Optional<StoredObject> head(String key) {
            opened.add(key);
            return Optional.ofNullable(objects.get(key));
        }

        @Override
        public StoredObject copy(StoredObject source, String targetKey, StoredObject expectedTarget) {
            throw new UnsupportedOperationException("a scan never writes: copy of " + source.key());
        }

        @Override
        public StoredObject put(String key, InputStream content, long length, StoredObject expectedTarget) {
            throw new UnsupportedOperationException("a scan never writes: put of " + key);
        }

        @Override
        public void delete(StoredObject expected) {
            throw new UnsupportedOperationException("a scan never writes: delete of " + expected.key());
        }

        @Override
        public void checkReachable() {
        }

        @Override
        public String describe() {
            return "memory";
        }
    }
}
