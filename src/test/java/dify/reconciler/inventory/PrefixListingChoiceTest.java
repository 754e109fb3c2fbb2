package dify.reconciler.inventory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.S3ObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.testsupport.S3ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The choice between the sequential and the folder-by-folder listing of {@code persistence/}, counted in LIST requests
 * against S3Proxy (pages of 10 keys, so a sample of 20 keys is two pages): many small workspaces are listed with
 * exactly the sequential listing's requests (a folder listing each would cost one request per workspace); a few big
 * ones are listed in parallel, paying only the sample's two pages on top; the keys and their order are the sequential
 * listing's either way.
 */
class PrefixListingChoiceTest {

    private static final String P = "persistence/";
    private static final int PAGE = 10;
    private static final int SAMPLE = 20;

    @Test
    void manySmallWorkspacesAreListedWithTheSequentialListingsRequests() throws Exception {
        // 40 workspaces of 3 objects: the first 20 keys lie in 7 folders. Folder by folder would be 4 delimiter pages
        // and 40 folder listings against the sequential listing's 12 pages.
        try (Bucket bucket = new Bucket(40, 3)) {
            Listing sequential = bucket.list(s -> s.list(P));
            Listing parallel = bucket.list(s -> ParallelPrefixListing.list(s, P, 4, 5));
            Listing chosen = bucket.list(s -> PrefixListingChoice.list(s, P, 4, 5, SAMPLE));
            assertTrue(parallel.requests() > 3 * sequential.requests(), "the premise: " + parallel + " vs " + sequential);
            assertEquals(sequential.keys(), chosen.keys(), "the chosen listing against the sequential one");
            assertEquals(sequential.requests(), chosen.requests(), "requests of the chosen listing: the sequential one's");
        }
    }

    @Test
    void aFewBigWorkspacesAreListedFolderByFolder() throws Exception {
        // 3 workspaces of 30 objects and one object directly under the prefix: the first 20 keys lie in one folder.
        try (Bucket bucket = new Bucket(3, 30)) {
            bucket.put(P + "loose-object");
            Listing sequential = bucket.list(s -> s.list(P));
            Listing parallel = bucket.list(s -> ParallelPrefixListing.list(s, P, 4, 5));
            Listing chosen = bucket.list(s -> PrefixListingChoice.list(s, P, 4, 5, SAMPLE));
            assertEquals(sequential.keys(), chosen.keys(), "the chosen listing against the sequential one");
            assertEquals(parallel.requests() + SAMPLE / PAGE, chosen.requests(),
                    "requests of the chosen listing: the parallel one's and the sample's two pages");
        }
    }

    @Test
    void aListingThatEndsInsideTheSampleIsDeliveredAsItIs() throws Exception {
        try (Bucket bucket = new Bucket(1, 15)) {
            Listing sequential = bucket.list(s -> s.list(P));
            Listing chosen = bucket.list(s -> PrefixListingChoice.list(s, P, 4, 5, SAMPLE));
            assertEquals(15, chosen.keys().size());
            assertEquals(sequential.keys(), chosen.keys());
            assertEquals(sequential.requests(), chosen.requests());
        }
    }

    @Test
    void foldersMustAverageTwiceTheBreakEvenForTheParallelListing() {
        // Break-even: a folder request per PAGE / concurrency objects; twice that to choose the parallel listing.
        assertEquals(4, PrefixListingChoice.maxFoldersForParallel(2000, 4), "500 objects a folder at 4 at once");
        assertEquals(8, PrefixListingChoice.maxFoldersForParallel(2000, 8), "250 objects a folder at 8 at once");
        assertEquals(2, PrefixListingChoice.maxFoldersForParallel(2000, 2), "1,000 objects a folder at 2 at once");
        assertEquals(2, PrefixListingChoice.maxFoldersForParallel(20, 4), "never fewer than the 2 a sample can touch");
    }

    private record Listing(List<String> keys, int requests) {
    }

    /** A bucket of {@code workspaces} folders of {@code objects} objects under {@code persistence/}, beside a look-alike prefix. */
    private static final class Bucket implements AutoCloseable {
        private final S3ProxyServer s3 = S3ProxyServer.shared();
        private final String name = s3.createBucket("choice-" + UUID.randomUUID().toString().substring(0, 8));
        private final S3ObjectWriter writer = new S3ObjectWriter(s3.client(), name);
        private final AtomicInteger lists = new AtomicInteger();
        private final S3ObjectStorage storage = new S3ObjectStorage(
                S3ProxyServer.newClient(s3.endpoint(), s3.accessKey(), s3.secretKey()), name, PAGE,
                (operation, ok) -> {
                    if (operation.equals("list")) {
                        lists.incrementAndGet();
                    }
                });

        Bucket(int workspaces, int objects) {
            for (int w = 0; w < workspaces; w++) {
                String tenant = UUID.nameUUIDFromBytes(("tenant-" + w).getBytes()).toString();
                for (int i = 0; i < objects; i++) {
                    put(P + tenant + "/langgenius/openai/" + i);
                }
            }
            put("persistence-backup/" + UUID.randomUUID() + "/x");
        }

        void put(String key) {
            writer.put(key, key.getBytes());
        }

        Listing list(Function<ObjectStorage, Stream<StoredObject>> listing) {
            int before = lists.get();
            try (Stream<StoredObject> objects = listing.apply(storage)) {
                List<String> keys = objects.map(StoredObject::key).toList();
                return new Listing(keys, lists.get() - before);
            }
        }

        @Override
        public void close() {
            storage.close();
        }
    }
}
