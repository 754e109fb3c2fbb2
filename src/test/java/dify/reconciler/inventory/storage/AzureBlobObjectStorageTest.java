package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobBeginCopySourceRequestConditions;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.options.BlobBeginCopyOptions;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.azure.storage.blob.sas.BlobContainerSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import dify.reconciler.catalog.KeyOrder;
import dify.reconciler.testsupport.AzureBlobObjectWriter;
import dify.reconciler.testsupport.AzuriteServer;
import dify.reconciler.testsupport.FaultyHttpProxy;
import dify.reconciler.testsupport.FaultyHttpProxy.Fault;
import dify.reconciler.testsupport.ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SecretForms;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The storage contract on Azurite, plus what is Azure's own: its listing order, its preconditions, its errors. */
class AzureBlobObjectStorageTest extends ObjectStorageContract {

    private static final AtomicInteger CONTAINERS = new AtomicInteger();
    private static final S3Timeouts FAST = new S3Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(20));

    private final AzuriteServer azurite = AzuriteServer.shared();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private BlobContainerClient container;
    private AzureBlobObjectStorage storage;
    private AzureBlobObjectWriter writer;

    @BeforeEach
    void createContainer() {
        container = azurite.createContainer("test-" + CONTAINERS.incrementAndGet() + "-" + System.nanoTime());
        storage = open(azurite.connectionString(), container.getBlobContainerName(), AzureBlobObjectStorage.DEFAULT_PAGE_SIZE,
                AzureBlobObjectStorage.DEFAULT_REORDER_WINDOW);
        writer = new AzureBlobObjectWriter(container);
    }

    @AfterEach
    void close() throws Exception {
        storage.close();
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private AzureBlobObjectStorage open(String connectionString, String containerName, int pageSize, int window) {
        AzureBlobSettings settings = AzureBlobSettings.from(new StorageVariables(name -> Optional.ofNullable(Map.of(
                AzureBlobSettings.CONNECTION_STRING, connectionString,
                AzureBlobSettings.CONTAINER, containerName).get(name))));
        return AzureBlobObjectStorage.create(settings, FAST, (operation, ok) -> requests.add(operation + ":" + ok), null,
                pageSize, window);
    }

    @Override
    ObjectStorage storage() {
        return storage;
    }

    @Override
    ObjectWriter writer() {
        return writer;
    }

    /** What Azurite lists, in its own order, read with the SDK directly. */
    private List<String> rawListing(String prefix) {
        return StreamSupport.stream(container.listBlobs(new com.azure.storage.blob.models.ListBlobsOptions().setPrefix(prefix),
                null).spliterator(), false).map(BlobItem::getName).toList();
    }

    // --- listing order ---

    @Test
    void putsAzuritesUtf16OrderInUtf8ByteOrderAcrossPages() {
        // U+1F600 (surrogates D83D DE00) against U+FF1A and U+E000..: Azurite lists the emoji first (UTF-16 units),
        // byte order puts it last. Nested: the same difference again under the emoji and under the full-width colon.
        List<String> keys = List.of("x/a", "x/\uD83D\uDE00", "x/\uD83D\uDE00/\uD83D\uDE01", "x/\uD83D\uDE00/\uFF1A",
                "x/\uD83D\uDE00z", "x/\uE000", "x/\uFF1A", "x/\uFF1A/\uD83D\uDE00", "x/\uFF1A/\uFF1B", "x/\uFFFD", "y/\uD83D\uDE00");
        writer.putAll(keys);
        List<String> byteOrder = keys.stream().sorted(KeyOrder.COMPARATOR).toList();
        assertNotEquals(byteOrder, rawListing(""), "Azurite lists in UTF-16 order: this test exercises the re-ordering");
        assertEquals(keys.stream().sorted().toList(), rawListing(""), "Azurite's order is Java's String order");

        try (AzureBlobObjectStorage paged = open(azurite.connectionString(), container.getBlobContainerName(), 2, 100)) {
            assertEquals(byteOrder, paged.list("").map(StoredObject::key).toList());
            assertEquals(byteOrder.subList(0, 10), paged.list("x/").map(StoredObject::key).toList());
        }
    }

    @Test
    void aListingThatNeedsMoreThanTheWindowFailsNamingTheOrderProblem() {
        writer.putAll(List.of("x/\uD83D\uDE00a", "x/\uD83D\uDE00b", "x/\uD83D\uDE00c", "x/\uFF1A"));

        try (AzureBlobObjectStorage narrow = open(azurite.connectionString(), container.getBlobContainerName(), 5000, 2)) {
            StorageException e = assertThrows(StorageException.class, () -> narrow.list("x/").count());
            assertTrue(e.getMessage().contains("UTF-16 code-unit order") && e.getMessage().contains("more than 2 objects"),
                    e.getMessage());
        }
        try (AzureBlobObjectStorage wideEnough = open(azurite.connectionString(), container.getBlobContainerName(), 5000, 3)) {
            assertEquals(List.of("x/\uFF1A", "x/\uD83D\uDE00a", "x/\uD83D\uDE00b", "x/\uD83D\uDE00c"),
                    wideEnough.list("x/").map(StoredObject::key).toList());
        }
    }

    @Test
    void followsEveryPageFetchingOnlyWhenConsumed() {
        List<String> keys = IntStream.range(0, 25).mapToObj(i -> String.format("plugin/a/p%04d:1.0.%d@c", i, i)).toList();
        writer.putAll(keys);

        try (AzureBlobObjectStorage paged = open(azurite.connectionString(), container.getBlobContainerName(), 7, 100);
                Stream<StoredObject> listing = paged.list("plugin/")) {
            Iterator<StoredObject> it = listing.iterator();
            assertEquals(keys.get(0), it.next().key());
            assertEquals(List.of("list:true"), requests, "only the first page is fetched before it is used up");
            List<String> listed = new ArrayList<>(List.of(keys.get(0)));
            it.forEachRemaining(o -> listed.add(o.key()));
            assertEquals(keys, listed);
            assertEquals(4, requests.stream().filter("list:true"::equals).count(), "25 keys in pages of 7: " + requests);
        }
    }

    @Test
    void aPageThatFailsMidListingThrowsInsteadOfEndingTheListing() {
        writer.putAll(IntStream.range(0, 10).mapToObj(i -> "plugin/a/p" + i).toList());

        try (AzureBlobObjectStorage paged = open(azurite.connectionString(), container.getBlobContainerName(), 4, 100);
                Stream<StoredObject> listing = paged.list("plugin/")) {
            Iterator<StoredObject> it = listing.iterator();
            it.next();
            container.delete();

            StorageException e = assertThrows(StorageException.class, () -> it.forEachRemaining(o -> {}));
            assertTrue(e.getMessage().startsWith("container '" + container.getBlobContainerName() + "' does not exist at "
                    + azurite.endpoint() + "/ (check AZURE_BLOB_STORAGE_CONTAINER_NAME)"), e.getMessage());
            assertEquals("list:false", requests.get(requests.size() - 1));
        }
    }

    // --- errors ---

    @Test
    void aMissingContainerIsNamedInEveryError() {
        try (AzureBlobObjectStorage missing = open(azurite.connectionString(), "no-such-container", 5000, 100)) {
            for (Runnable call : List.<Runnable>of(() -> missing.list("plugin/").count(), () -> missing.head("plugin/x"),
                    missing::checkReachable)) {
                StorageException e = assertThrows(StorageException.class, call::run);
                assertTrue(e.getMessage().startsWith("container 'no-such-container' does not exist"), e.getMessage());
            }
        }
    }

    @Test
    void aWrongAccountKeyIsAccessDeniedWithoutTheKey() {
        // A valid base64 key of the right length that is not the account's.
        String wrongKey = java.util.Base64.getEncoder()
                .encodeToString("wrong-key-7c1e-wrong-key-7c1e-wrong-key-7c1e-wrong-key-7c1e!!!!".getBytes(
                        StandardCharsets.US_ASCII));
        writer.put("plugin/x", "x");
        try (AzureBlobObjectStorage denied = open(azurite.connectionString(wrongKey), container.getBlobContainerName(), 5000,
                100)) {
            for (Runnable call : List.<Runnable>of(() -> denied.list("").count(), () -> denied.head("plugin/x"),
                    () -> denied.open("plugin/x"), denied::checkReachable)) {
                StorageException e = assertThrows(StorageException.class, call::run);
                assertTrue(e.getMessage().startsWith("access denied to container '" + container.getBlobContainerName()
                        + "' at " + azurite.endpoint() + "/ (check AccountName/AccountKey in AZURE_BLOB_STORAGE_CONNECTION_STRING)"),
                        e.getMessage());
                // Raw, URL-encoded and base64 at every alignment (SecretForms), in the whole cause chain.
                assertEquals(List.of(), SecretForms.findIn(fullTrace(e), wrongKey, List.of(AzuriteServer.ACCOUNT)));
            }
            assertEquals(List.of(), SecretForms.findIn(denied.describe(), wrongKey, List.of(AzuriteServer.ACCOUNT)));
            assertEquals(List.of("list:false", "head:false", "get:false", "list:false"), requests);
        }
    }

    @Test
    void anUnreachableEndpointFailsTheListing() {
        String closed = "http://127.0.0.1:" + S3ProxyServer.freeLoopbackPort() + "/" + AzuriteServer.ACCOUNT;
        String connectionString = "DefaultEndpointsProtocol=http;AccountName=" + AzuriteServer.ACCOUNT + ";AccountKey="
                + AzuriteServer.ACCOUNT_KEY + ";BlobEndpoint=" + closed;
        try (AzureBlobObjectStorage unreachable = open(connectionString, container.getBlobContainerName(), 5000, 100)) {
            StorageException e = assertThrows(StorageException.class, () -> unreachable.list("").count());
            assertTrue(e.getMessage().startsWith("cannot reach Azure Blob endpoint " + closed + "/: java.net.ConnectException"),
                    e.getMessage());
            assertThrows(StorageException.class, () -> unreachable.head("plugin/x"));
        }
    }

    @Test
    void describesContainerAndEndpointWithoutTheKey() {
        assertEquals("azure_blob://" + container.getBlobContainerName() + " (" + azurite.endpoint() + "/)", storage.describe());
    }

    // --- least privilege: a container SAS in the connection string ---

    /** A container SAS with exactly {@code permissions} (r read, l list, w write, d delete), as a connection string. */
    private String sasConnectionString(String permissions) {
        String sas = container.generateSas(new BlobServiceSasSignatureValues(OffsetDateTime.now().plusHours(1),
                BlobContainerSasPermission.parse(permissions)));
        return "BlobEndpoint=" + azurite.endpoint() + ";SharedAccessSignature=" + sas;
    }

    /** Report mode needs list and read only (the README's role for report mode: blobs/read). */
    @Test
    void aReadAndListSasScansButCannotWrite() {
        writer.put("plugin_packages/a/b:1@c", "package");
        String sas = sasConnectionString("rl");
        try (AzureBlobObjectStorage readOnly = open(sas, container.getBlobContainerName(), 5000, 100)) {
            readOnly.checkReachable();
            assertEquals(List.of("plugin_packages/a/b:1@c"), readOnly.list("").map(StoredObject::key).toList());
            StoredObject source = readOnly.head("plugin_packages/a/b:1@c").orElseThrow();
            try (var in = readOnly.open(source.key())) {
                assertArrayEquals("package".getBytes(), in.readAllBytes());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }

            StorageException denied = assertThrows(StorageException.class, () -> readOnly.copy(source, "plugin/a/b:1@c", null));
            assertTrue(denied.getMessage().startsWith("access denied to container '" + container.getBlobContainerName()
                    + "' at " + azurite.endpoint() + "/ (check the SharedAccessSignature in AZURE_BLOB_STORAGE_CONNECTION_STRING"),
                    denied.getMessage());
            assertFalse(denied instanceof ObjectChangedException, "a refusal for rights is not 'changed, skip it'");
            assertEquals(List.of(), SecretForms.findIn(fullTrace(denied), sas.substring(sas.indexOf("sig=") + 4), List.of()));
            assertThrows(StorageException.class, () -> readOnly.delete(source));
        }
        assertEquals(List.of("plugin_packages/a/b:1@c"), rawListing(""), "nothing written, nothing deleted");
    }

    /** Armed mode adds write and delete (the README's role for armed mode: blobs/read, blobs/write, blobs/delete). */
    @Test
    void aReadListWriteDeleteSasRunsEveryGuardedWrite() {
        writer.put("plugin_packages/a/b:1@c", "package");
        try (AzureBlobObjectStorage armed = open(sasConnectionString("rlwd"), container.getBlobContainerName(), 5000, 100)) {
            StoredObject source = armed.head("plugin_packages/a/b:1@c").orElseThrow();
            StoredObject copied = armed.copy(source, "reconciler-quarantine/plugin_packages/a/b:1@c", null);
            StoredObject put = armed.put("assets/x.png", new byte[] {1}, null);
            armed.delete(source);
            armed.delete(put);
            assertEquals(List.of(copied.key()), armed.list("").map(StoredObject::key).toList());
        }
        assertArrayEquals("package".getBytes(),
                container.getBlobClient("reconciler-quarantine/plugin_packages/a/b:1@c").downloadContent().toBytes());
    }

    // --- Azurite's own preconditions, sent without our HEAD checks ---

    /**
     * What {@link AzureBlobObjectStorage} relies on, answered by Azurite itself: {@code If-None-Match: *} on an existing
     * blob is 409 BlobAlreadyExists, a stale {@code If-Match} on Put Blob and Delete Blob is 412, Copy Blob checks the
     * source's ETag and the destination's condition. Nothing is written in any of these cases.
     */
    @Test
    void azuriteEvaluatesEveryPreconditionWeSend() {
        writer.put("plugin_packages/a/b:1@c", "source");
        writer.put("plugin/a/b:1@c", "target");
        String stale = "\"0x8DC0000000000000\"";
        var target = container.getBlobClient("plugin/a/b:1@c");
        String sourceUrl = container.getBlobClient("plugin_packages/a/b:1@c").getBlobUrl();

        assertRefused(409, BlobErrorCode.BLOB_ALREADY_EXISTS, () -> target.uploadWithResponse(
                new BlobParallelUploadOptions(BinaryData.fromString("put")).setRequestConditions(
                        new BlobRequestConditions().setIfNoneMatch("*")),
                null, null));
        assertRefused(412, null, () -> target.uploadWithResponse(new BlobParallelUploadOptions(BinaryData.fromString("put"))
                .setRequestConditions(new BlobRequestConditions().setIfMatch(stale)), null, null));
        assertRefused(412, null, () -> target.deleteWithResponse(null, new BlobRequestConditions().setIfMatch(stale), null,
                null));
        assertRefused(412, null, () -> container.getBlobClient("plugin/new:1@y").beginCopy(new BlobBeginCopyOptions(sourceUrl)
                .setSourceRequestConditions(new BlobBeginCopySourceRequestConditions().setIfMatch(stale))).waitForCompletion());
        assertRefused(-1, null, () -> target.beginCopy(new BlobBeginCopyOptions(sourceUrl)
                .setDestinationRequestConditions(new BlobRequestConditions().setIfNoneMatch("*"))).waitForCompletion());

        assertArrayEquals("target".getBytes(), target.downloadContent().toBytes());
        assertFalse(container.getBlobClient("plugin/new:1@y").exists());
    }

    /** @param status the expected HTTP status, or -1 for either of 409 and 412 */
    private static void assertRefused(int status, BlobErrorCode code, Runnable request) {
        BlobStorageException e = assertThrows(BlobStorageException.class, request::run);
        if (status == -1) {
            assertTrue(e.getStatusCode() == 409 || e.getStatusCode() == 412, e.getMessage());
        } else {
            assertEquals(status, e.getStatusCode(), e.getMessage());
        }
        if (code != null) {
            assertEquals(code, e.getErrorCode());
        }
    }

    // --- lost answers ---

    private static final String KEY = "assets/0123456789abcdef.svg";
    private static final byte[] OURS = "<svg>ours</svg>".getBytes(StandardCharsets.UTF_8);

    private AzureBlobObjectStorage throughProxy(FaultyHttpProxy proxy) {
        String connectionString = "DefaultEndpointsProtocol=http;AccountName=" + AzuriteServer.ACCOUNT + ";AccountKey="
                + AzuriteServer.ACCOUNT_KEY + ";BlobEndpoint=" + proxy.endpoint() + "/" + AzuriteServer.ACCOUNT;
        return open(connectionString, container.getBlobContainerName(), 5000, 100);
    }

    @Test
    void aCreateWhoseAnswerWasLostIsOursWhenTheBlobHoldsExactlyOurBytes() {
        FaultyHttpProxy proxy = FaultyHttpProxy.to(upstreamOf(azurite));
        toClose.add(proxy);
        List<String> writes = new CopyOnWriteArrayList<>();
        AtomicInteger attempts = new AtomicInteger();
        proxy.policy(r -> {
            if (!r.method().equals("PUT") || !isKey(r.target())) {
                return Fault.PASS;
            }
            writes.add(r.method() + " " + r.target());
            return attempts.incrementAndGet() == 1 ? new Fault.LostAnswer() : Fault.PASS;
        });
        try (AzureBlobObjectStorage lossy = throughProxy(proxy)) {
            StoredObject written = lossy.put(KEY, OURS, null);

            assertEquals(2, writes.size(), "written once, answer lost, retried (Azurite answered 409): " + writes);
            assertEquals(OURS.length, written.size());
            assertTrue(written.sameVersionAs(storage.head(KEY).orElseThrow()));
        }
    }

    @Test
    void aCreateRetriedOntoOtherBytesIsRefusedAndNothingIsOverwritten() {
        FaultyHttpProxy proxy = FaultyHttpProxy.to(upstreamOf(azurite));
        toClose.add(proxy);
        byte[] theirs = "<svg>theirs!!!!".getBytes(StandardCharsets.UTF_8);
        assertEquals(OURS.length, theirs.length, "same size: only the bytes tell them apart");
        AtomicInteger attempts = new AtomicInteger();
        proxy.policy(r -> {
            if (!r.method().equals("PUT") || !isKey(r.target())) {
                return Fault.PASS;
            }
            if (attempts.incrementAndGet() == 1) {
                writer.put(KEY, theirs);
                return new Fault.Reset();
            }
            return Fault.PASS;
        });
        try (AzureBlobObjectStorage lossy = throughProxy(proxy)) {
            ObjectChangedException e = assertThrows(ObjectChangedException.class, () -> lossy.put(KEY, OURS, null));

            assertEquals(2, attempts.get());
            assertTrue(e.getMessage().contains("409 BlobAlreadyExists") && e.getMessage().contains("nothing written"),
                    e.getMessage());
            assertArrayEquals(theirs, container.getBlobClient(KEY).downloadContent().toBytes());
        }
    }

    /**
     * Our HEAD check passes, then the blob changes before the write reaches Azurite: only the precondition we send with
     * the write can refuse it. The proxy rewrites the blob just before forwarding the request.
     */
    private FaultyHttpProxy rewritingBefore(String method, String key, String newContent) {
        FaultyHttpProxy proxy = FaultyHttpProxy.to(upstreamOf(azurite));
        toClose.add(proxy);
        AtomicInteger seen = new AtomicInteger();
        proxy.policy(r -> {
            if (r.method().equals(method) && isKey(r.target(), key) && seen.incrementAndGet() == 1) {
                writer.put(key, newContent);
            }
            return Fault.PASS;
        });
        return proxy;
    }

    @Test
    void aDeleteRacingARewriteDeletesNothing() {
        writer.put("plugin/bad key", "observed");
        StoredObject observed = storage.head("plugin/bad key").orElseThrow();
        try (AzureBlobObjectStorage racing = throughProxy(rewritingBefore("DELETE", "plugin/bad key", "rewritten"))) {
            ObjectChangedException e = assertThrows(ObjectChangedException.class, () -> racing.delete(observed));
            assertTrue(e.getMessage().contains("HTTP 412"), e.getMessage());
        }
        assertArrayEquals("rewritten".getBytes(), container.getBlobClient("plugin/bad key").downloadContent().toBytes());
    }

    @Test
    void aCopyWhoseSourceIsRewrittenAfterOurCheckCopiesNothing() {
        writer.put("plugin_packages/a/b:1@c", "verified");
        StoredObject source = storage.head("plugin_packages/a/b:1@c").orElseThrow();
        // The copy is a PUT on the target; the source changes just before it.
        FaultyHttpProxy proxy = FaultyHttpProxy.to(upstreamOf(azurite));
        toClose.add(proxy);
        AtomicInteger seen = new AtomicInteger();
        proxy.policy(r -> {
            if (r.method().equals("PUT") && r.headers().containsKey("x-ms-copy-source") && seen.incrementAndGet() == 1) {
                writer.put("plugin_packages/a/b:1@c", "rewritten meanwhile");
            }
            return Fault.PASS;
        });
        try (AzureBlobObjectStorage racing = throughProxy(proxy)) {
            ObjectChangedException e = assertThrows(ObjectChangedException.class,
                    () -> racing.copy(source, "plugin/a/b:1@c", null));
            assertTrue(e.getMessage().contains("HTTP 412"), e.getMessage());
        }
        assertFalse(container.getBlobClient("plugin/a/b:1@c").exists());
    }

    @Test
    void aReplaceRacingARewriteOverwritesNothing() {
        writer.put("assets/a.png", "observed");
        StoredObject observed = storage.head("assets/a.png").orElseThrow();
        try (AzureBlobObjectStorage racing = throughProxy(rewritingBefore("PUT", "assets/a.png", "rewritten"))) {
            assertThrows(ObjectChangedException.class, () -> racing.put("assets/a.png", "ours".getBytes(), observed));
        }
        assertArrayEquals("rewritten".getBytes(), container.getBlobClient("assets/a.png").downloadContent().toBytes());
    }

    private static boolean isKey(String target, String key) {
        return java.net.URLDecoder.decode(target.split("\\?")[0], StandardCharsets.UTF_8).endsWith("/" + key);
    }

    /** Whether a request's target is {@link #KEY}: the SDK sends the key's '/' as %2F. */
    private static boolean isKey(String target) {
        return java.net.URLDecoder.decode(target.split("\\?")[0], StandardCharsets.UTF_8).endsWith("/" + KEY);
    }

    private static java.net.URI upstreamOf(AzuriteServer server) {
        java.net.URI endpoint = server.endpoint();
        return java.net.URI.create("http://" + endpoint.getHost() + ":" + endpoint.getPort());
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
}
