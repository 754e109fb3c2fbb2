package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.testsupport.GcsTestServer;
import dify.reconciler.testsupport.GcsTestServer.Operation;
import dify.reconciler.testsupport.ObjectWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The storage contract and GCS's own behaviours (paging, order check, errors, generation preconditions, lost answers)
 * on the {@link GcsTestServer}, reached through {@code STORAGE_EMULATOR_HOST} as a user would reach an emulator.
 */
class GcsObjectStorageTest extends ObjectStorageContract {

    private static final AtomicInteger BUCKETS = new AtomicInteger();
    /** Short limits: a failing request must fail the test in seconds, not after the client's default minute. */
    private static final S3Timeouts TIMEOUTS = new S3Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10));

    private final GcsTestServer gcs = GcsTestServer.shared();
    private final List<String> requests = new ArrayList<>();
    private String bucket;
    private GcsObjectStorage storage;

    @BeforeEach
    void createBucket() {
        bucket = gcs.createBucket("test-" + BUCKETS.incrementAndGet() + "-" + System.nanoTime());
        storage = open(bucket, GcsObjectStorage.DEFAULT_PAGE_SIZE);
    }

    @AfterEach
    void closeStorage() {
        storage.close();
        gcs.deleteBucket(bucket);
    }

    private GcsObjectStorage open(String bucketName, int pageSize) {
        GcsSettings settings = new GcsSettings(bucketName, null, URI.create(gcs.endpoint().toString()));
        return GcsObjectStorage.create(settings, TIMEOUTS, (operation, ok) -> requests.add(operation + ":" + ok),
                "plugin_packages/", pageSize);
    }

    @Override
    ObjectStorage storage() {
        return storage;
    }

    @Override
    ObjectWriter writer() {
        return (key, content) -> gcs.put(bucket, key, content);
    }

    private static List<String> numberedKeys(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> prefix + String.format("%04d:1.0.%d@c%d", i, i, i)).toList();
    }

    @Test
    void carriesGcssMd5AsTheVersionSoACopyKeepsItsSourcesTag() {
        gcs.put(bucket, "plugin/a/b:1@c", new byte[] {1});
        StoredObject listed = storage.list("plugin/").findFirst().orElseThrow();
        assertEquals("md5:" + gcs.md5Hash(bucket, "plugin/a/b:1@c"), listed.etag());
        gcs.put(bucket, "plugin/a/b:1@c", new byte[] {2});
        StoredObject now = storage.head("plugin/a/b:1@c").orElseThrow();
        assertTrue(!listed.sameVersionAs(now), "same size, other bytes: another version");

        StoredObject copy = storage.copy(now, "q/plugin/a/b:1@c", null);
        assertEquals(now.etag(), copy.etag(), "a copy carries its source's tag, as on S3");
    }

    @Test
    void followsEveryPageInOrderFetchingOnlyWhenConsumed() {
        List<String> keys = numberedKeys("plugin/a/p", 25);
        writer().putAll(keys);

        try (GcsObjectStorage paged = open(bucket, 7); var listing = paged.list("plugin/")) {
            Iterator<StoredObject> it = listing.iterator();
            assertEquals(keys.get(0), it.next().key());
            assertEquals(List.of("list:true"), requests, "only the first page is fetched before it is used up");
            List<String> listed = new ArrayList<>(List.of(keys.get(0)));
            it.forEachRemaining(o -> listed.add(o.key()));
            assertEquals(keys, listed);
            assertEquals(List.of("list:true", "list:true", "list:true", "list:true"), requests, "25 keys in pages of 7");
        }
        assertTrue(gcs.requests(bucket).stream().filter(r -> r.startsWith("list")).allMatch(r -> r.contains("maxResults=7")),
                gcs.requests(bucket).toString());
    }

    @Test
    void listsMoreThanOnePageAtTheDefaultPageSize() {
        List<String> keys = numberedKeys("plugin_packages/a/p", 1234);
        keys.forEach(key -> gcs.put(bucket, key, new byte[0]));

        assertEquals(keys, keys("plugin_packages/"));
        assertEquals(2, requests.stream().filter(r -> r.equals("list:true")).count());
    }

    @Test
    void aDeniedListingThrowsNamingTheCredentialsNeverAnEmptyListing() {
        writer().put("plugin/a/b:1@c", "x");
        gcs.fail(bucket, Operation.LIST, 403, 1);

        StorageException e = assertThrows(StorageException.class, () -> keys("plugin/"));
        assertTrue(e.getMessage().startsWith("access denied to bucket '" + bucket + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("no credentials (STORAGE_EMULATOR_HOST is set)"), e.getMessage());
        assertEquals(List.of("list:false"), requests);
    }

    @Test
    void aServerErrorThatLastsFailsTheListingAfterTheClientsRetries() {
        writer().put("plugin/a/b:1@c", "x");
        gcs.fail(bucket, Operation.LIST, 500, 100);

        StorageException e = assertThrows(StorageException.class, () -> keys("plugin/"));
        assertTrue(e.getMessage().contains("got HTTP 500"), e.getMessage());
        assertEquals(4, gcs.requests(bucket).size(), "4 attempts: " + gcs.requests(bucket));
    }

    @Test
    void aPageThatFailsMidListingThrowsInsteadOfEndingTheListing() {
        writer().putAll(numberedKeys("plugin/a/p", 10));

        try (GcsObjectStorage paged = open(bucket, 4); var listing = paged.list("plugin/")) {
            Iterator<StoredObject> it = listing.iterator();
            it.next();
            gcs.fail(bucket, Operation.LIST, 403, 1);
            StorageException e = assertThrows(StorageException.class, () -> it.forEachRemaining(o -> {}));
            assertTrue(e.getMessage().startsWith("access denied"), e.getMessage());
        }
    }

    @Test
    void aMissingBucketIsNamedInTheError() {
        try (GcsObjectStorage missing = open("no-such-bucket-" + System.nanoTime(), 1000)) {
            StorageException e = assertThrows(StorageException.class, () -> missing.list("plugin/").count());
            assertTrue(e.getMessage().contains("check PLUGIN_STORAGE_OSS_BUCKET"), e.getMessage());
            assertThrows(StorageException.class, missing::checkReachable);
            assertThrows(StorageException.class, () -> missing.head("plugin/x"), "a missing bucket is no missing key");
        }
    }

    @Test
    void refusesAListingThatIsNotInByteOrder() {
        // GCS lists in UTF-8 byte order; a server listing in Java's String order puts U+1F600 before U+FF1A.
        writer().putAll(List.of("x/\uFF1A", "x/\uD83D\uDE00"));
        gcs.listInUtf16Order(bucket);

        StorageException e = assertThrows(StorageException.class, () -> keys("x/"));
        assertTrue(e.getMessage().contains("listing out of order"), e.getMessage());
    }

    @Test
    void keepsKeysThatEncodingWouldMangleExact() {
        List<String> keys = List.of("persistence/t/a/n/a b+c", "persistence/t/a/n/pct%2Fx", "persistence/t/a/n/q?x#y&z=1");
        writer().putAll(keys);

        assertEquals(keys.stream().sorted(dify.reconciler.catalog.KeyOrder.COMPARATOR).toList(), keys("persistence/"));
        for (String key : keys) {
            assertArrayEquals(key.getBytes(StandardCharsets.UTF_8), read(key));
        }
        StoredObject copied = storage.copy(storage.head(keys.get(0)).orElseThrow(), "q/a b+c%2F", null);
        assertEquals("q/a b+c%2F", copied.key());
        storage.delete(copied);
        assertEquals(Optional.empty(), storage.head("q/a b+c%2F"));
    }

    @Test
    void readsALargeObjectExactlyAtTheGenerationHeadSaw() throws IOException {
        byte[] content = new byte[5 * 1024 * 1024 + 17];
        new Random(7).nextBytes(content);
        long generation = gcs.put(bucket, "plugin_packages/a/big:1@c", content);

        assertArrayEquals(content, read("plugin_packages/a/big:1@c"));
        assertTrue(gcs.requests(bucket).stream().anyMatch(r -> r.startsWith("media plugin_packages/a/big:1@c")
                && r.contains("generation=" + generation)), "the generation head saw is read: " + gcs.requests(bucket));
    }

    @Test
    void aStreamedPutIsAResumableUploadWithItsPrecondition() {
        byte[] content = new byte[300_000];
        new Random(3).nextBytes(content);

        StoredObject written = storage.put("plugin/a/b:1@c", new ByteArrayInputStream(content), content.length, null);
        assertEquals(content.length, written.size());
        assertArrayEquals(content, read("plugin/a/b:1@c"));
        assertTrue(gcs.requests(bucket).stream().anyMatch(r -> r.startsWith("resumable-start plugin/a/b:1@c")
                && r.contains("ifGenerationMatch=0")), gcs.requests(bucket).toString());

        assertThrows(ObjectChangedException.class, () -> storage.put("plugin/a/b:1@c", new ByteArrayInputStream(content),
                content.length, null));
        StoredObject replaced = storage.put("plugin/a/b:1@c", new ByteArrayInputStream(new byte[] {1}), 1, written);
        assertEquals(1, replaced.size());
    }

    @Test
    void everyWriteCarriesItsGenerationPreconditionToTheServer() {
        writer().put("plugin_packages/a/b:1@c", "package");
        String gen = Long.toString(gcs.generation(bucket, "plugin_packages/a/b:1@c"));
        StoredObject source = storage.head("plugin_packages/a/b:1@c").orElseThrow();
        StoredObject copy = storage.copy(source, "plugin/a/b:1@c", null);
        String copyGen = Long.toString(gcs.generation(bucket, "plugin/a/b:1@c"));
        storage.put("assets/x.png", new byte[] {1}, null);
        storage.delete(copy);

        List<String> log = gcs.requests(bucket);
        assertTrue(log.stream().anyMatch(r -> r.startsWith("rewrite plugin_packages/a/b:1@c -> plugin/a/b:1@c")
                && r.contains("ifGenerationMatch=0") && r.contains("ifSourceGenerationMatch=" + gen)
                && r.contains("sourceGeneration=" + gen)), log.toString());
        assertTrue(log.stream().anyMatch(r -> r.startsWith("multipart assets/x.png") && r.contains("ifGenerationMatch=0")),
                log.toString());
        assertTrue(log.stream().anyMatch(r -> r.startsWith("delete plugin/a/b:1@c") && r.contains("ifGenerationMatch=" + copyGen)),
                log.toString());
    }

    @Test
    void aWriteRacingAnotherWriterAfterOurCheckIsRefusedByTheServerItself() {
        // Another writer replaces the object between our check (HEAD) and our request: only GCS's precondition on the
        // generation we checked can tell, even with the same bytes.
        writer().put("plugin/bad key", "same");
        StoredObject observed = storage.head("plugin/bad key").orElseThrow();
        gcs.beforeNext(bucket, Operation.DELETE, () -> gcs.put(bucket, "plugin/bad key", "same".getBytes(StandardCharsets.UTF_8)));
        ObjectChangedException e = assertThrows(ObjectChangedException.class, () -> storage.delete(observed));
        assertTrue(e.getMessage().contains("HTTP 412"), e.getMessage());
        assertTrue(storage.head("plugin/bad key").isPresent());

        writer().put("plugin_packages/a/b:1@c", "package");
        StoredObject source = storage.head("plugin_packages/a/b:1@c").orElseThrow();
        gcs.beforeNext(bucket, Operation.REWRITE, () -> gcs.put(bucket, "plugin/a/b:1@c", new byte[] {9}));
        assertThrows(ObjectChangedException.class, () -> storage.copy(source, "plugin/a/b:1@c", null));
        assertArrayEquals(new byte[] {9}, read("plugin/a/b:1@c"), "the other writer's object is not overwritten");

        gcs.beforeNext(bucket, Operation.UPLOAD, () -> gcs.put(bucket, "assets/y.png", new byte[] {7}));
        assertThrows(ObjectChangedException.class, () -> storage.put("assets/y.png", new byte[] {1}, null));
        assertArrayEquals(new byte[] {7}, read("assets/y.png"));
    }

    @Test
    void aPutWhoseAnswerWasLostIsOursWhenTheKeyHoldsExactlyOurBytes() {
        gcs.loseAnswers(bucket, Operation.UPLOAD, 503, 1);

        StoredObject written = storage.put("assets/0a.svg", "<svg>ours</svg>".getBytes(StandardCharsets.UTF_8), null);

        assertEquals("assets/0a.svg", written.key());
        assertArrayEquals("<svg>ours</svg>".getBytes(StandardCharsets.UTF_8), read("assets/0a.svg"));
        assertEquals(2, gcs.requests(bucket).stream().filter(r -> r.startsWith("multipart")).count(),
                "written, answer lost, retried: " + gcs.requests(bucket));
    }

    @Test
    void aCopyWhoseAnswerWasLostIsOurs() {
        writer().put("plugin_packages/a/b:1@c", "package");
        StoredObject source = storage.head("plugin_packages/a/b:1@c").orElseThrow();
        gcs.loseAnswers(bucket, Operation.REWRITE, 503, 1);

        StoredObject copied = storage.copy(source, "plugin/a/b:1@c", null);
        assertEquals(source.size(), copied.size());

        assertArrayEquals("package".getBytes(StandardCharsets.UTF_8), read("plugin/a/b:1@c"));
        assertEquals(2, gcs.requests(bucket).stream().filter(r -> r.startsWith("rewrite")).count(),
                "copied, answer lost, retried: " + gcs.requests(bucket));
    }

    @Test
    void aStreamOpenedBeforeTheObjectWasReplacedFailsInsteadOfMixingVersions() {
        gcs.put(bucket, "plugin_packages/a/b:1@c", "observed".getBytes(StandardCharsets.UTF_8));

        InputStream in = storage.open("plugin_packages/a/b:1@c");
        gcs.put(bucket, "plugin_packages/a/b:1@c", "replaced".getBytes(StandardCharsets.UTF_8));
        IOException e = assertThrows(IOException.class, in::readAllBytes);
        assertTrue(e.getMessage().contains("plugin_packages/a/b:1@c"), e.getMessage());
    }

    private byte[] read(String key) {
        try (InputStream in = storage.open(key)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
