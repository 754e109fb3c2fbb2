package dify.reconciler.inventory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.KeyOrder;
import dify.reconciler.inventory.storage.LocalObjectStorage;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.S3ObjectStorage;
import dify.reconciler.inventory.storage.S3Settings;
import dify.reconciler.inventory.storage.StorageException;
import dify.reconciler.inventory.storage.StorageRequestListener;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.testsupport.FaultyHttpProxy;
import dify.reconciler.testsupport.FaultyHttpProxy.Fault;
import dify.reconciler.testsupport.FolderKeys;
import dify.reconciler.testsupport.HostileInput;
import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.ObjectWriter;
import dify.reconciler.testsupport.S3ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.StoreUnderTest;
import dify.reconciler.testsupport.StoresUnderTest;
import dify.reconciler.testsupport.Sweep;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The listing of {@code persistence/} folder by folder, several at once, is the sequential listing: the same keys in
 * the same order (UTF-8 byte order, non-ASCII and characters above U+FFFF included), on S3Proxy and a real folder, with
 * queues and pages small enough that the merge waits, refills and pages many times; on every backend (where one cannot
 * list by delimiter, it is the sequential listing). A failure in one tenant's folder fails the whole listing.
 */
class ParallelPrefixListingTest {

    private static final String P = "persistence/";

    /**
     * Keys whose order a naive merge gets wrong: names sorting just before and after '/' beside a folder ({@code a!x},
     * {@code a-b/…}, {@code a/…}, {@code a0}), an object directly under the prefix, non-ASCII, emoji (surrogate pairs), deep paths, spaces, and look-alike prefixes
     * beside {@code persistence/}. (An object and a folder of the same name, {@code a} and {@code a/b}, are left out:
     * no folder, and so neither S3Proxy's file-system backend, can hold both; so are characters in U+E000–U+FFFF beside
     * ones above U+FFFF: S3Proxy lists those in UTF-16 order, which the sequential S3 listing refuses, and drops U+E000.)
     */
    private static final List<String> TRICKY = List.of(P + "a!x", P + "a-b/p/1", P + "a/b", P + "a/c/d/e", P + "a0",
            P + "b b/é/1", P + "ä/1", P + "ä/😀", P + "😀/1", P + "😀!/x", P + "z",
            P + "日本/プラグイン/data.bin", "persistencex/outside", "persistence-/x", "plugin/outside");

    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : cleanup) {
            c.close();
        }
    }

    @Test
    void onAFolderItIsTheSequentialListingKeyForKeyHostileKeysIncluded() {
        HostileInput.forEachSeed(3, in -> {
            Path root = Files.createTempDirectory("parallel-listing");
            cleanup.add(() -> deleteTree(root));
            Set<String> written = fill(in, new LocalObjectWriter(root), FolderKeys.LOCAL);
            assertSameAsSequential(new LocalObjectStorage(root), written);
        });
    }

    @Test
    void onS3ProxyItIsTheSequentialListingKeyForKeyHostileKeysIncluded() {
        HostileInput.forEachSeed(2, in -> {
            S3ProxyServer s3 = S3ProxyServer.shared();
            String bucket = s3.createBucket("parallel-" + UUID.randomUUID().toString().substring(0, 8));
            Set<String> written = fill(in, new S3ObjectWriter(s3.client(), bucket), FolderKeys.S3PROXY);
            // Full pages: S3Proxy writes a continuation token (the last key) that control characters make unparsable.
            S3ObjectStorage storage = new S3ObjectStorage(S3ProxyServer.newClient(s3.endpoint(), s3.accessKey(), s3.secretKey()),
                    bucket, 1000, StorageRequestListener.NO_OP);
            cleanup.add(storage);
            assertSameAsSequential(storage, written);
        });
    }

    @Test
    void onS3ProxyWithPagesOfThreeItIsTheSequentialListing() {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("parallel-" + UUID.randomUUID().toString().substring(0, 8));
        Set<String> written = fillTricky(new S3ObjectWriter(s3.client(), bucket));
        // Pages of 3: the delimiter listing and the folders' listings page many times.
        S3ObjectStorage storage = new S3ObjectStorage(S3ProxyServer.newClient(s3.endpoint(), s3.accessKey(), s3.secretKey()),
                bucket, 3, StorageRequestListener.NO_OP);
        cleanup.add(storage);
        assertSameAsSequential(storage, written);
    }

    @ParameterizedTest
    @MethodSource("dify.reconciler.testsupport.StoresUnderTest#all")
    @Tag(Sweep.TAG)
    void onEveryBackendItIsTheSequentialListing(StoresUnderTest.Backend backend) {
        try (StoreUnderTest store = backend.open()) {
            assertSameAsSequential(store.storage(), fillTricky(store.writer()));
        }
    }

    /** {@link #TRICKY} and 12 tenants of 3 objects. */
    private static Set<String> fillTricky(ObjectWriter writer) {
        Set<String> written = new TreeSet<>();
        for (String key : TRICKY) {
            writer.put(key, key.getBytes(StandardCharsets.UTF_8));
            written.add(key);
        }
        for (int t = 0; t < 12; t++) {
            for (int i = 0; i < 3; i++) {
                String key = P + "tenant-" + t + "/plugin/" + i;
                writer.put(key, new byte[i]);
                written.add(key);
            }
        }
        return written;
    }

    @Test
    void aFailedListingOfOneTenantFailsTheWholeListing() {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("parallel-fault-" + UUID.randomUUID().toString().substring(0, 8));
        S3ObjectWriter writer = new S3ObjectWriter(s3.client(), bucket);
        for (int t = 0; t < 30; t++) {
            for (int i = 0; i < 5; i++) {
                writer.put(String.format("%stenant-%02d/plugin/%d", P, t, i), new byte[] {1});
            }
        }
        FaultyHttpProxy proxy = FaultyHttpProxy.to(s3.endpoint());
        cleanup.add(proxy);
        // Every attempt (the SDK's retries included) to list tenant-17's folder fails; the others pass.
        proxy.policy(r -> r.target().contains("prefix=persistence%2Ftenant-17%2F") ? new Fault.Status(500) : Fault.PASS);
        S3ObjectStorage storage = S3ObjectStorage.create(new S3Settings(proxy.endpoint().toString(), true, false, false,
                s3.accessKey(), s3.secretKey(), S3ProxyServer.REGION, bucket));
        cleanup.add(storage);

        List<String> delivered = new ArrayList<>();
        StorageException e = assertThrows(StorageException.class, () -> {
            try (Stream<StoredObject> listing = ParallelPrefixListing.list(storage, P, 4, 2)) {
                listing.forEach(o -> delivered.add(o.key()));
            }
        });
        assertTrue(e.getMessage().contains("persistence/tenant-17/"), e.getMessage());
        assertTrue(proxy.faults() > 0, "the fault was met");
        // Never a shorter listing taken as complete: it stopped before the failed tenant's first key.
        assertTrue(delivered.size() < 17 * 5 + 1, "delivered " + delivered.size() + " keys");
        assertTrue(delivered.stream().noneMatch(k -> k.compareTo(P + "tenant-17/") > 0), () -> "delivered past the failure: " + delivered);
    }

    @Test
    void aFailedDelimiterListingFailsTheListing() {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("parallel-fault-" + UUID.randomUUID().toString().substring(0, 8));
        S3ObjectWriter writer = new S3ObjectWriter(s3.client(), bucket);
        for (int t = 0; t < 5; t++) {
            writer.put(P + "tenant-" + t + "/x", new byte[] {1});
        }
        FaultyHttpProxy proxy = FaultyHttpProxy.to(s3.endpoint());
        cleanup.add(proxy);
        // The second page of the delimiter listing (pages of 2) keeps failing.
        proxy.policy(r -> r.target().contains("delimiter=") && r.target().contains("continuation-token")
                ? new Fault.Status(500)
                : Fault.PASS);
        S3ObjectStorage storage = new S3ObjectStorage(S3ProxyServer.newClient(proxy.endpoint(), s3.accessKey(), s3.secretKey()),
                bucket, 2, StorageRequestListener.NO_OP);
        cleanup.add(storage);

        assertThrows(StorageException.class, () -> {
            try (Stream<StoredObject> listing = ParallelPrefixListing.list(storage, P, 3, 2)) {
                listing.forEach(o -> {});
            }
        });
        assertTrue(proxy.faults() > 0, "the fault was met");
    }

    /** Hostile keys under persistence/ (and beside it) that the store can hold, plus {@link #TRICKY} and many tenants. */
    private static Set<String> fill(HostileInput in, ObjectWriter writer, FolderKeys holdable) {
        List<String> candidates = new ArrayList<>(in.keys(120, List.of("persistence", "persistence/", "persistencex"), true));
        candidates.addAll(TRICKY);
        for (int t = 0; t < 25; t++) {
            for (int i = 0; i < 4; i++) {
                candidates.add(P + "t" + t + "/plugin-" + i + "/f");
            }
        }
        Set<String> written = new TreeSet<>();
        for (String key : holdable.select(candidates, Set.of()).kept()) {
            if (holdable == FolderKeys.S3PROXY && key.chars().anyMatch(ch -> ch >= 0xE000 && ch <= 0xFFFF)) {
                continue; // S3Proxy itself lists these in UTF-16 order beside characters above U+FFFF (see TRICKY)
            }
            writer.put(key, key.getBytes(StandardCharsets.UTF_8));
            written.add(key);
        }
        return written;
    }

    /**
     * Parallel (3 folders at once, 2 objects per queue: the merge waits and refills constantly) equals sequential, key
     * for key with sizes, and both are exactly the keys written under the prefix, in UTF-8 byte order.
     */
    private void assertSameAsSequential(ObjectStorage storage, Set<String> written) {
        List<String> expected = written.stream().filter(k -> k.startsWith(P)).sorted(KeyOrder.COMPARATOR).toList();
        assertTrue(expected.size() > 30, "a test of " + expected.size() + " keys proves little");
        List<StoredObject> sequential = all(storage.list(P));
        List<StoredObject> parallel = all(ParallelPrefixListing.list(storage, P, 3, 2));
        assertEquals(expected, sequential.stream().map(StoredObject::key).toList(), "sequential listing");
        assertEquals(sequential, parallel, "parallel listing against the sequential one (key, size, version)");
    }

    private static List<StoredObject> all(Stream<StoredObject> listing) {
        try (listing) {
            return listing.toList();
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> tree = Files.walk(root)) {
            for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
