package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.KeyOrder;
import dify.reconciler.testsupport.ObjectWriter;
import dify.reconciler.testsupport.S3ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

class S3ObjectStorageTest extends ObjectStorageContract {

    private static final AtomicInteger BUCKETS = new AtomicInteger();

    private final S3ProxyServer s3 = S3ProxyServer.shared();
    private final List<String> requests = new ArrayList<>();
    private String bucket;
    private S3ObjectStorage storage;
    private S3ObjectWriter writer;

    @BeforeEach
    void createBucket() {
        bucket = s3.createBucket("test-" + BUCKETS.incrementAndGet() + "-" + System.nanoTime());
        storage = S3ObjectStorage.create(s3.settings(bucket), (operation, ok) -> requests.add(operation + ":" + ok));
        writer = new S3ObjectWriter(s3.client(), bucket);
    }

    @AfterEach
    void closeStorage() {
        storage.close();
    }

    @Override
    ObjectStorage storage() {
        return storage;
    }

    @Override
    ObjectWriter writer() {
        return writer;
    }

    private S3ObjectStorage pagedStorage(int pageSize) {
        return new S3ObjectStorage(S3ProxyServer.newClient(s3.endpoint(), s3.accessKey(), s3.secretKey()), bucket, pageSize,
                (operation, ok) -> requests.add(operation + ":" + ok));
    }

    private static List<String> numberedKeys(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> prefix + String.format("%04d:1.0.%d@c%d", i, i, i)).toList();
    }

    @Test
    void carriesTheETagS3ReturnsInListingsAndHeads() {
        writer.put("plugin_packages/a/b:1@c", new byte[] {1, 2, 3});
        writer.put("plugin_packages/a/b:2@c", new byte[] {4, 5, 6});
        String etag1 = s3.client().headObject(b -> b.bucket(bucket).key("plugin_packages/a/b:1@c")).eTag();
        String etag2 = s3.client().headObject(b -> b.bucket(bucket).key("plugin_packages/a/b:2@c")).eTag();
        assertNotNull(etag1);
        assertNotEquals(etag1, etag2, "different content, different entity tags");

        try (Stream<StoredObject> listing = storage.list("plugin_packages/")) {
            assertEquals(List.of(etag1, etag2), listing.map(StoredObject::etag).toList());
        }
        assertEquals(etag1, storage.head("plugin_packages/a/b:1@c").orElseThrow().etag());
        assertEquals(etag2, storage.head("plugin_packages/a/b:2@c").orElseThrow().version().etag());
    }

    @Test
    void followsEveryPageInOrderFetchingOnlyWhenConsumed() {
        List<String> keys = numberedKeys("plugin/a/p", 25);
        writer.putAll(keys);

        try (S3ObjectStorage paged = pagedStorage(7); Stream<StoredObject> listing = paged.list("plugin/")) {
            Iterator<StoredObject> it = listing.iterator();
            assertEquals(keys.get(0), it.next().key());
            assertEquals(List.of("list:true"), requests, "only the first page is fetched before it is used up");

            List<String> listed = new ArrayList<>(List.of(keys.get(0)));
            it.forEachRemaining(o -> listed.add(o.key()));
            assertEquals(keys, listed);
            assertEquals(List.of("list:true", "list:true", "list:true", "list:true"), requests, "25 keys in pages of 7");
        }
    }

    @Test
    void listsMoreThanOnePageAtTheDefaultPageSize() {
        List<String> keys = numberedKeys("plugin_packages/a/p", 1234);
        keys.forEach(key -> s3.putDirectly(bucket, key, new byte[0]));

        assertEquals(keys, keys("plugin_packages/"));
        assertEquals(2, requests.stream().filter(r -> r.equals("list:true")).count());
    }

    @Test
    void aPageThatFailsMidListingThrowsInsteadOfEndingTheListing() {
        writer.putAll(numberedKeys("plugin/a/p", 10));

        try (S3ObjectStorage paged = pagedStorage(4); Stream<StoredObject> listing = paged.list("plugin/")) {
            Iterator<StoredObject> it = listing.iterator();
            it.next();
            // The bucket disappears between pages: the listing must fail, not look complete with 4 keys.
            S3Client client = s3.client();
            numberedKeys("plugin/a/p", 10).forEach(key -> client.deleteObject(b -> b.bucket(bucket).key(key)));
            client.deleteBucket(b -> b.bucket(bucket));

            StorageException e = assertThrows(StorageException.class, () -> it.forEachRemaining(o -> {}));
            assertTrue(e.getMessage().contains("bucket '" + bucket + "' does not exist at " + s3.endpoint()), e.getMessage());
            assertEquals("list:false", requests.get(requests.size() - 1));
        }
    }

    @Test
    void listsAFolderPlaceholderObject() {
        // Console "create folder" writes an empty object named "plugin/"; the detectors report it, so it must be listed.
        writer.put("plugin/", new byte[0]);
        writer.put("plugin/langgenius/openai:0.0.1@abc", "x");

        assertEquals(List.of("plugin/", "plugin/langgenius/openai:0.0.1@abc"), keys("plugin/"));
    }

    @Test
    void keepsKeysThatUrlEncodingWouldMangleExact() {
        // Space, '+', a literal "%2F" and a control character: all survive only if the listing is URL-encoded
        // on the wire and decoded exactly once (a control character is not even legal in XML 1.0).
        List<String> keys = List.of("persistence/t/a/n/a b+c", "persistence/t/a/n/pct%2Fx", "persistence/t/a/n/x\u0001y");
        writer.putAll(keys);

        List<String> expected = keys.stream().sorted(KeyOrder.COMPARATOR).toList();
        assertEquals(expected, keys("persistence/"));
        assertTrue(storage.head("persistence/t/a/n/a b+c").isPresent());
    }

    @Test
    void refusesAListingThatIsNotInByteOrder() {
        // S3Proxy sorts keys as Java strings (UTF-16 units), so U+1F600 (surrogate 0xD83D) comes before
        // U+FF1A there, while AWS S3 returns byte order (EF BC 9A before F0 9F 98 80). A real server that
        // disagrees with byte order is exactly what the check exists for.
        writer.putAll(List.of("x/\uFF1A", "x/\uD83D\uDE00"));

        StorageException e = assertThrows(StorageException.class, () -> keys("x/"));
        assertTrue(e.getMessage().contains("listing out of order"), e.getMessage());
    }

    @Test
    void refusesKeysOutsideTheRequestedPrefix() {
        // S3Proxy's filesystem backend resolves ".." in a prefix as a path, so "plugin/../plugin/" lists
        // plugin/x; AWS S3 compares bytes and lists nothing. A key outside the prefix must never be passed on.
        writer.put("plugin/x", "x");

        StorageException e = assertThrows(StorageException.class, () -> keys("plugin/../plugin/"));
        assertTrue(e.getMessage().contains("outside the prefix"), e.getMessage());
    }

    @Test
    void aMissingBucketIsNamedInTheError() {
        try (S3ObjectStorage missing = S3ObjectStorage.create(s3.settings("no-such-bucket"))) {
            StorageException e = assertThrows(StorageException.class, () -> missing.list("plugin/").count());
            assertTrue(e.getMessage().startsWith("bucket 'no-such-bucket' does not exist at " + s3.endpoint()), e.getMessage());
            assertThrows(StorageException.class, missing::checkReachable);
        }
    }

    @Test
    void wrongCredentialsAreReportedAsAccessDeniedWithoutTheSecret() {
        String secret = "wrong-secret-4f8a9c";
        S3Settings wrong = new S3Settings(s3.endpoint().toString(), true, false, s3.accessKey(), secret, s3.region(), bucket);
        try (S3ObjectStorage denied = S3ObjectStorage.create(wrong, (operation, ok) -> requests.add(operation + ":" + ok))) {
            for (Runnable call : List.<Runnable>of(() -> denied.list("").count(), () -> denied.head("plugin/x"),
                    () -> denied.open("plugin/x"), denied::checkReachable)) {
                StorageException e = assertThrows(StorageException.class, call::run);
                assertTrue(e.getMessage().startsWith("access denied to bucket '" + bucket
                        + "' (check AWS_ACCESS_KEY / AWS_SECRET_KEY)"), e.getMessage());
                assertFalse(fullTrace(e).contains(secret), "the secret key leaked into: " + fullTrace(e));
            }
            assertFalse(denied.describe().contains(secret));
            assertEquals(List.of("list:false", "head:false", "get:false", "list:false"), requests);
        }
    }

    /** S3Proxy by host name: with an IP address the SDK picks path style by itself and would hide the setting. */
    private String endpointByHostName() {
        return "http://localhost:" + s3.endpoint().getPort();
    }

    @Test
    void usesPathStyleOnTheAwsBranchWhenAskedLikeAChartPointingAtMinio() {
        // S3_ENDPOINT and S3_USE_PATH_STYLE=true, S3_USE_AWS left at its default (true): virtual-hosted
        // addressing would ask DNS for <bucket>.localhost and fail.
        writer.put("plugin/x", "x");
        S3Settings settings = new S3Settings(endpointByHostName(), true, true, s3.accessKey(), s3.secretKey(), s3.region(),
                bucket);
        try (S3ObjectStorage minio = S3ObjectStorage.create(settings)) {
            assertEquals(List.of("plugin/x"), minio.list("plugin/").map(StoredObject::key).toList());
        }
    }

    @Test
    void usesTheSdkDefaultChainWhenBothDaemonKeysAreEmpty() {
        writer.put("plugin/x", "x");
        // The chain's first provider reads the system properties; the environment's AWS_ACCESS_KEY_ID works the same way.
        withSystemCredentials(s3.accessKey(), s3.secretKey(), () -> {
            S3Settings settings = new S3Settings(endpointByHostName(), true, true, false, "", "", s3.region(), bucket);
            try (S3ObjectStorage chain = S3ObjectStorage.create(settings)) {
                assertEquals(List.of("plugin/x"), chain.list("plugin/").map(StoredObject::key).toList());
            }
        });
    }

    @Test
    void managedIamIgnoresTheStaticKeys() {
        writer.put("plugin/x", "x");
        withSystemCredentials(s3.accessKey(), s3.secretKey(), () -> {
            S3Settings settings = new S3Settings(endpointByHostName(), true, true, true, "AKIASTALE", "stale-secret",
                    s3.region(), bucket);
            try (S3ObjectStorage iam = S3ObjectStorage.create(settings)) {
                assertEquals(List.of("plugin/x"), iam.list("plugin/").map(StoredObject::key).toList());
            }
        });
    }

    @Test
    void aDeniedDefaultChainDoesNotSendTheUserToTheDaemonKeys() {
        String secret = "wrong-chain-secret-77d1";
        withSystemCredentials(s3.accessKey(), secret, () -> {
            S3Settings settings = new S3Settings(endpointByHostName(), true, true, false, "", "", s3.region(), bucket);
            try (S3ObjectStorage denied = S3ObjectStorage.create(settings)) {
                StorageException e = assertThrows(StorageException.class, () -> denied.list("").count());
                assertTrue(e.getMessage().startsWith("access denied to bucket '" + bucket + "' (check the credentials the"
                        + " default AWS credential chain found: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,"), e.getMessage());
                // AWS_ACCESS_KEY_ID is the chain's variable; AWS_ACCESS_KEY / AWS_SECRET_KEY are not read here.
                assertFalse(e.getMessage().matches("(?s).*AWS_(ACCESS|SECRET)_KEY(?!_ID)\\b.*"), e.getMessage());
                assertFalse(fullTrace(e).contains(secret), "the secret key leaked into: " + fullTrace(e));
            }
        });
    }

    private static void withSystemCredentials(String accessKey, String secretKey, Runnable body) {
        String oldAccess = System.getProperty("aws.accessKeyId");
        String oldSecret = System.getProperty("aws.secretAccessKey");
        System.setProperty("aws.accessKeyId", accessKey);
        System.setProperty("aws.secretAccessKey", secretKey);
        try {
            body.run();
        } finally {
            restore("aws.accessKeyId", oldAccess);
            restore("aws.secretAccessKey", oldSecret);
        }
    }

    private static void restore(String name, String value) {
        if (value == null) {
            System.clearProperty(name);
        } else {
            System.setProperty(name, value);
        }
    }

    @Test
    void anUnreachableEndpointIsReportedAsSuch() {
        String closed = "http://127.0.0.1:" + S3ProxyServer.freeLoopbackPort();
        S3Settings settings = new S3Settings(closed, true, false, s3.accessKey(), s3.secretKey(), s3.region(), bucket);
        try (S3ObjectStorage unreachable = S3ObjectStorage.create(settings)) {
            StorageException e = assertThrows(StorageException.class, () -> unreachable.list("").count());
            assertTrue(e.getMessage().startsWith("cannot reach S3 endpoint " + closed + ": java.net.ConnectException"), e.getMessage());
            assertThrows(StorageException.class, () -> unreachable.head("plugin/x"));
        }
    }

    @Test
    void countsHeadAndGetRequests() throws Exception {
        writer.put("plugin/x", "x");

        storage.head("plugin/x");
        storage.head("plugin/y");
        storage.open("plugin/x").close();
        assertThrows(StorageException.class, () -> storage.open("plugin/y"));

        // The first "absent" answer costs one list to rule out a missing bucket (see the next test).
        assertEquals(List.of("head:true", "head:true", "list:true", "get:true", "get:false"), requests);
        storage.head("plugin/z");
        assertEquals("head:true", requests.get(requests.size() - 1));
    }

    @Test
    void headInAMissingBucketFailsInsteadOfReportingTheObjectAbsent() {
        // S3 answers HEAD with a bare 404 whether the key or the bucket is missing.
        try (S3ObjectStorage missing = S3ObjectStorage.create(s3.settings("no-such-bucket"))) {
            StorageException e = assertThrows(StorageException.class, () -> missing.head("plugin/x"));
            assertTrue(e.getMessage().startsWith("bucket 'no-such-bucket' does not exist"), e.getMessage());
        }
    }

    @Test
    void describesBucketAndEndpoint() {
        assertEquals("s3://" + bucket + " (" + s3.endpoint() + ")", storage.describe());
    }

    private static String fullTrace(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            text.append(t).append('\n');
            for (Throwable suppressed : t.getSuppressed()) {
                text.append(suppressed).append('\n');
            }
        }
        return text.toString();
    }

    /**
     * What S3Proxy 4.1.0 itself evaluates, sent without our HEAD checks: {@code x-amz-copy-source-if-match},
     * {@code If-None-Match} on PutObject and {@code If-Match} on DeleteObject are honoured (412); the target's
     * {@code If-None-Match: *} on CopyObject is not (documented on {@link S3ObjectStorage#copy}: there our HEAD
     * check is the guard).
     */
    @Test
    void s3ProxyHonoursTheSourcePutAndDeleteConditionsButNotTheCopyTargetOne() {
        writer.put("plugin_packages/a/b:1@c", "source");
        writer.put("plugin/a/b:1@c", "target");
        var client = s3.client();
        S3Exception stale = assertThrows(S3Exception.class, () -> client.copyObject(b -> b.sourceBucket(bucket)
                .sourceKey("plugin_packages/a/b:1@c").destinationBucket(bucket).destinationKey("plugin/x:1@y")
                .copySourceIfMatch("\"0123456789abcdef0123456789abcdef\"")));
        assertEquals(412, stale.statusCode());
        assertEquals(Optional.empty(), storage.head("plugin/x:1@y"));

        assertFalse(honoured(() -> client.copyObject(b -> b.sourceBucket(bucket).sourceKey("plugin_packages/a/b:1@c")
                .destinationBucket(bucket).destinationKey("plugin/a/b:1@c").ifNoneMatch("*"))),
                "S3Proxy now honours If-None-Match on CopyObject: update the comment on S3ObjectStorage.copy");
        assertTrue(honoured(() -> client.putObject(b -> b.bucket(bucket).key("plugin/a/b:1@c").ifNoneMatch("*"),
                software.amazon.awssdk.core.sync.RequestBody.fromString("put"))));
        assertTrue(honoured(() -> client.deleteObject(b -> b.bucket(bucket).key("plugin/a/b:1@c")
                .ifMatch("\"0123456789abcdef0123456789abcdef\""))));
        assertTrue(storage.head("plugin/a/b:1@c").isPresent(), "the refused delete deleted nothing");
    }

    private static boolean honoured(Runnable conditionalRequest) {
        try {
            conditionalRequest.run();
            return false;
        } catch (S3Exception e) {
            return e.statusCode() == 412;
        }
    }
}
