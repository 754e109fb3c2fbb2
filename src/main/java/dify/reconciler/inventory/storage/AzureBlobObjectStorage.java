package dify.reconciler.inventory.storage;

import com.azure.core.credential.TokenCredential;
import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.rest.PagedResponse;
import com.azure.core.util.Context;
import com.azure.core.util.polling.LongRunningOperationStatus;
import com.azure.core.util.polling.PollResponse;
import com.azure.core.util.polling.SyncPoller;
import com.azure.identity.ChainedTokenCredentialBuilder;
import com.azure.identity.CredentialUnavailableException;
import com.azure.identity.EnvironmentCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.blob.models.BlobBeginCopySourceRequestConditions;
import com.azure.storage.blob.models.BlobCopyInfo;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobItemProperties;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.CopyStatusType;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.options.BlobBeginCopyOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Collections;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.jboss.logging.Logger;

/**
 * The daemon's Azure Blob container (flat namespace), through the Azure SDK for Java over the JDK's HTTP client; scans
 * only read, remediation writes through the guarded copy, put and delete.
 *
 * <p>Listing: List Blobs, flat, with the prefix, one page at a time as the stream is consumed. Azure (and Azurite)
 * list in UTF-16 code-unit order, which differs from UTF-8 byte order for keys with characters above U+FFFF; the
 * listing is put in byte order within a bounded window ({@link Utf16ListingReorder}, which proves why that is exact)
 * and fails, naming the order problem, when the window is exceeded or the server's order is neither (an account with a
 * hierarchical namespace).
 *
 * <p>Writes use Azure's own preconditions, evaluated atomically with the write: {@code If-None-Match: *} to create
 * (an existing blob answers 409 BlobAlreadyExists), {@code If-Match} with the observed ETag to replace or delete (412
 * ConditionNotMet), and on Copy Blob {@code x-ms-source-if-match} for the source as well. ETags are opaque (not an
 * MD5): every comparison of bytes hashes the bytes.
 *
 * <p>Errors become {@link StorageException}s naming the variable to check; no message contains the account key or
 * the SAS token.
 */
public final class AzureBlobObjectStorage implements ObjectStorage {

    private static final Logger LOG = Logger.getLogger(AzureBlobObjectStorage.class);

    /** The largest page List Blobs returns. */
    public static final int DEFAULT_PAGE_SIZE = 5000;
    /** The most listed objects held back to put a UTF-16-ordered listing in byte order. */
    public static final int DEFAULT_REORDER_WINDOW = 10_000;

    private final BlobContainerClient client;
    private final AzureBlobSettings settings;
    private final int pageSize;
    private final int reorderWindow;
    private final StorageRequestListener listener;
    private final String probePrefix;
    private final Duration requestTimeout;

    AzureBlobObjectStorage(BlobContainerClient client, AzureBlobSettings settings, int pageSize, int reorderWindow,
            StorageRequestListener listener, String probePrefix, Duration requestTimeout) {
        if (pageSize < 1 || pageSize > DEFAULT_PAGE_SIZE) {
            throw new IllegalArgumentException("page size must be between 1 and 5000, was " + pageSize);
        }
        this.client = client;
        this.settings = settings;
        this.pageSize = pageSize;
        this.reorderWindow = reorderWindow;
        this.listener = listener;
        this.probePrefix = probePrefix;
        this.requestTimeout = requestTimeout;
    }

    /**
     * Builds the client the way the daemon does from its AZURE_BLOB_STORAGE_* variables.
     *
     * @param timeouts the limits of {@code reconciler.s3.*}, which apply to every object store
     * @param probePrefix what {@link #checkReachable} lists; null: the whole container
     */
    public static AzureBlobObjectStorage create(AzureBlobSettings settings, S3Timeouts timeouts, StorageRequestListener listener,
            String probePrefix) {
        return create(settings, timeouts, listener, probePrefix, DEFAULT_PAGE_SIZE, DEFAULT_REORDER_WINDOW);
    }

    static AzureBlobObjectStorage create(AzureBlobSettings settings, S3Timeouts timeouts, StorageRequestListener listener,
            String probePrefix, int pageSize, int reorderWindow) {
        HttpClient http = new JdkHttpClientBuilder()
                .connectionTimeout(timeouts.connect())
                .responseTimeout(timeouts.read())
                .readTimeout(timeouts.read())
                .build();
        // Three tries, short waits: the SDK's default (four tries from 4 s up) holds a dead endpoint for half a minute.
        RequestRetryOptions retries = new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 3, timeouts.request(),
                Duration.ofMillis(200), Duration.ofSeconds(2), null);
        BlobContainerClientBuilder builder = new BlobContainerClientBuilder()
                .endpoint(settings.serviceUrl())
                .containerName(settings.container())
                .httpClient(http)
                .retryOptions(retries);
        if (settings.managedIdentity()) {
            builder.credential(serverCredential());
        } else if (settings.accountKey() != null) {
            builder.credential(new StorageSharedKeyCredential(settings.accountName(), settings.accountKey()));
        } else {
            builder.sasToken(settings.sasToken());
        }
        return new AzureBlobObjectStorage(builder.buildClient(), settings, pageSize, reorderWindow, listener, probePrefix,
                timeouts.request());
    }

    /**
     * The part of azidentity's DefaultAzureCredential (what the daemon uses) that a server has: a service principal
     * from AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, a workload identity (AKS), a managed identity. The
     * developer-tool credentials (Azure CLI, IDEs) are left out: a sidecar has none.
     */
    private static TokenCredential serverCredential() {
        ChainedTokenCredentialBuilder chain = new ChainedTokenCredentialBuilder()
                .addLast(new EnvironmentCredentialBuilder().build());
        if (System.getenv("AZURE_FEDERATED_TOKEN_FILE") != null) {
            chain.addLast(new WorkloadIdentityCredentialBuilder().build());
        }
        return chain.addLast(new ManagedIdentityCredentialBuilder().build()).build();
    }

    @Override
    public Stream<StoredObject> list(String prefix) {
        String safePrefix = prefix == null ? "" : prefix;
        Iterator<StoredObject> ordered = new Utf16ListingReorder(new PagedListing(safePrefix), reorderWindow,
                () -> "prefix '" + safePrefix + "' of " + describe());
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(ordered,
                Spliterator.ORDERED | Spliterator.DISTINCT | Spliterator.NONNULL), false);
    }

    @Override
    public InputStream open(String key) {
        // openInputStream reads in ranges pinned to the ETag of its first read: a blob rewritten mid-read fails the read.
        return call("get", "read '" + key + "'", () -> client.getBlobClient(key).openInputStream());
    }

    @Override
    public Optional<StoredObject> head(String key) {
        try {
            BlobProperties p = client.getBlobClient(key).getPropertiesWithResponse(null, null, Context.NONE).getValue();
            listener.onRequest("head", true);
            return Optional.of(new StoredObject(key, p.getBlobSize(), p.getLastModified().toInstant(), p.getETag()));
        } catch (BlobStorageException e) {
            // Azure names the missing thing in x-ms-error-code even on HEAD: a missing container is an error, not "absent".
            if (e.getStatusCode() == 404 && BlobErrorCode.BLOB_NOT_FOUND.equals(e.getErrorCode())) {
                listener.onRequest("head", true);
                return Optional.empty();
            }
            listener.onRequest("head", false);
            throw translate("head '" + key + "'", e);
        } catch (RuntimeException e) {
            listener.onRequest("head", false);
            throw translate("head '" + key + "'", e);
        }
    }

    /**
     * Copy Blob within the account, guarded twice: HEAD first (source at the observed version, target absent or at
     * its observed version), then conditions Azure evaluates with the copy: {@code x-ms-source-if-match} (the source's
     * ETag) and, on the target, {@code If-None-Match: *} or {@code If-Match}. A copy within one account completes
     * in the call (status success); one still pending when the request timeout ends is aborted and fails. A failed
     * precondition is checked against the source's bytes: our own earlier attempt whose answer was lost
     * ({@link LostAnswer}).
     */
    @Override
    public StoredObject copy(StoredObject source, String targetKey, StoredObject expectedTarget) {
        VersionGuard.requireVersion(this, source, "copy source");
        VersionGuard.requireTarget(this, targetKey, expectedTarget, "copy");
        String action = "copy '" + source.key() + "' to '" + targetKey + "'";
        String sourceUrl = client.getBlobClient(source.key()).getBlobUrl()
                + (settings.sasToken() == null ? "" : "?" + settings.sasToken());
        BlobBeginCopyOptions options = new BlobBeginCopyOptions(sourceUrl)
                .setSourceRequestConditions(new BlobBeginCopySourceRequestConditions().setIfMatch(source.etag()))
                .setDestinationRequestConditions(targetCondition(expectedTarget))
                .setPollInterval(Duration.ofMillis(200));
        try {
            SyncPoller<BlobCopyInfo, Void> poller = client.getBlobClient(targetKey).beginCopy(options);
            PollResponse<BlobCopyInfo> done = poller.waitForCompletion(requestTimeout);
            listener.onRequest("copy", true);
            if (done.getStatus() != LongRunningOperationStatus.SUCCESSFULLY_COMPLETED) {
                CopyStatusType status = done.getValue() == null ? null : done.getValue().getCopyStatus();
                if (status == CopyStatusType.PENDING) {
                    poller.cancelOperation();
                }
                throw new StorageException(action + " did not complete (copy status " + status + "): nothing recorded");
            }
        } catch (StorageException e) {
            throw e;
        } catch (RuntimeException e) {
            listener.onRequest("copy", false);
            BlobStorageException refused = blobError(e);
            if (refused != null && isPreconditionFailure(refused)) {
                return answerLost(refused, targetKey, source.size(), () -> LostAnswer.sha256AtVersion(this, source))
                        .orElseThrow(() -> changed(action, refused));
            }
            throw translate(action, e);
        }
        return head(targetKey).orElseThrow(() -> new StorageException("'" + targetKey + "' vanished right after it was written"));
    }

    /**
     * One Put Blob (as the daemon uploads) with {@code If-None-Match: *} or {@code If-Match}, after the same HEAD check
     * as {@link #copy}. A stream is not kept, so a failed precondition cannot be compared with what we sent and stays
     * a refusal; the bytes variant can ({@link LostAnswer}).
     */
    @Override
    public StoredObject put(String key, InputStream content, long length, StoredObject expectedTarget) {
        return put(key, content, length, expectedTarget, () -> null);
    }

    @Override
    public StoredObject put(String key, byte[] content, StoredObject expectedTarget) {
        return put(key, new ByteArrayInputStream(content), content.length, expectedTarget, () -> LostAnswer.sha256(content));
    }

    private StoredObject put(String key, InputStream content, long length, StoredObject expectedTarget,
            Supplier<byte[]> intended) {
        VersionGuard.requireTarget(this, key, expectedTarget, "put");
        try {
            client.getBlobClient(key).getBlockBlobClient().uploadWithResponse(
                    new BlockBlobSimpleUploadOptions(content, length).setRequestConditions(targetCondition(expectedTarget)),
                    null, Context.NONE);
            listener.onRequest("put", true);
        } catch (RuntimeException e) {
            listener.onRequest("put", false);
            BlobStorageException refused = blobError(e);
            if (refused != null && isPreconditionFailure(refused)) {
                return answerLost(refused, key, length, intended).orElseThrow(() -> changed("put '" + key + "'", refused));
            }
            throw translate("put '" + key + "'", e);
        }
        return head(key).orElseThrow(() -> new StorageException("'" + key + "' vanished right after it was written"));
    }

    /** HEAD, compare, then Delete Blob with {@code If-Match}; a blob gone or changed meanwhile is refused (404 or 412). */
    @Override
    public void delete(StoredObject expected) {
        VersionGuard.requireVersion(this, expected, "delete");
        try {
            client.getBlobClient(expected.key()).deleteWithResponse(null,
                    new BlobRequestConditions().setIfMatch(expected.etag()), null, Context.NONE);
            listener.onRequest("delete", true);
        } catch (RuntimeException e) {
            listener.onRequest("delete", false);
            BlobStorageException refused = blobError(e);
            if (refused != null && (isPreconditionFailure(refused)
                    || BlobErrorCode.BLOB_NOT_FOUND.equals(refused.getErrorCode()))) {
                throw changed("delete '" + expected.key() + "'", refused);
            }
            throw translate("delete '" + expected.key() + "'", e);
        }
    }

    private static BlobRequestConditions targetCondition(StoredObject expectedTarget) {
        return expectedTarget == null
                ? new BlobRequestConditions().setIfNoneMatch("*")
                : new BlobRequestConditions().setIfMatch(expectedTarget.etag());
    }

    /** 412 ConditionNotMet / SourceConditionNotMet, or 409 BlobAlreadyExists for {@code If-None-Match: *}. */
    private static boolean isPreconditionFailure(BlobStorageException e) {
        return e.getStatusCode() == 412 || (e.getStatusCode() == 409 && BlobErrorCode.BLOB_ALREADY_EXISTS.equals(e.getErrorCode()));
    }

    private static ObjectChangedException changed(String action, BlobStorageException e) {
        return new ObjectChangedException(action + ": the object changed (HTTP " + e.getStatusCode() + " " + e.getErrorCode()
                + "): nothing written", e);
    }

    /** As S3ObjectStorage's: the key holds exactly the bytes we meant to write, so the refused retry met our own write. */
    private Optional<StoredObject> answerLost(BlobStorageException e, String key, long length, Supplier<byte[]> intended) {
        byte[] sha256 = intended.get();
        if (sha256 == null) {
            return Optional.empty();
        }
        Optional<StoredObject> ours = LostAnswer.ours(this, key, length, sha256);
        ours.ifPresent(o -> LOG.warnf("'%s': our conditional write answered HTTP %d %s and the key holds exactly the bytes we"
                + " wrote (%s): an earlier attempt's answer was lost; taken as written by us", key, e.getStatusCode(),
                e.getErrorCode(), o.describeVersion()));
        return ours;
    }

    /**
     * Lists at most one blob under the probe prefix (the daemon's package prefix when set): proves the container
     * exists and the credentials may list it, with no more than the read/list permission a scan needs anyway.
     */
    @Override
    public void checkReachable() {
        call("list", "list", () -> {
            Iterator<PagedResponse<BlobItem>> pages = client.listBlobs(new ListBlobsOptions().setPrefix(probePrefix)
                    .setMaxResultsPerPage(1), null).iterableByPage(1).iterator();
            return pages.hasNext() ? pages.next() : null;
        });
    }

    @Override
    public String describe() {
        return settings.describe();
    }

    private <T> T call(String operation, String action, Supplier<T> request) {
        try {
            T result = request.get();
            listener.onRequest(operation, true);
            return result;
        } catch (RuntimeException e) {
            listener.onRequest(operation, false);
            throw translate(action, e);
        }
    }

    private static BlobStorageException blobError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BlobStorageException b) {
                return b;
            }
        }
        return null;
    }

    /**
     * Maps SDK failures to messages that name the fix. Only the status and Azure's error code are quoted, never the
     * service's message or a URL with a query: neither the key nor a SAS token can end up in a message.
     */
    private StorageException translate(String action, RuntimeException e) {
        if (e instanceof StorageException s) {
            return s;
        }
        String where = "container '" + settings.container() + "' at " + settings.serviceUrl();
        BlobStorageException blob = blobError(e);
        if (blob != null) {
            BlobErrorCode code = blob.getErrorCode();
            String detail = action + " got HTTP " + blob.getStatusCode() + (code == null ? "" : " " + code);
            if (BlobErrorCode.CONTAINER_NOT_FOUND.equals(code)) {
                return new StorageException("container '" + settings.container() + "' does not exist at "
                        + settings.serviceUrl() + " (check " + AzureBlobSettings.CONTAINER + "): " + detail, e);
            }
            if (blob.getStatusCode() == 403) {
                return new StorageException("access denied to " + where + " (" + settings.credentialsHint() + "): " + detail, e);
            }
            if (BlobErrorCode.BLOB_NOT_FOUND.equals(code)) {
                return new StorageException("object not found in " + where + ": " + detail, e);
            }
            return new StorageException("Azure Blob request failed for " + where + ": " + detail, e);
        }
        if (cause(e, ClientAuthenticationException.class) != null || cause(e, CredentialUnavailableException.class) != null) {
            return new StorageException("no Microsoft Entra ID token for " + where + " (" + AzureBlobSettings.USE_MANAGED_IDENTITY
                    + "=true: set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, a workload identity, or a managed"
                    + " identity): " + action + " failed", e);
        }
        Throwable network = networkCause(e);
        if (network != null) {
            return new StorageException("cannot reach Azure Blob endpoint " + settings.serviceUrl() + ": " + network
                    + " (" + action + ")", e);
        }
        return new StorageException("Azure Blob " + action + " on " + where + " failed: " + e.getClass().getName(), e);
    }

    private static <T extends Throwable> T cause(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static Throwable networkCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException || t instanceof NoRouteToHostException
                    || t instanceof SocketTimeoutException || t instanceof HttpConnectTimeoutException
                    || t instanceof HttpTimeoutException || t instanceof java.util.concurrent.TimeoutException) {
                return t;
            }
        }
        return null;
    }

    /** Fetches the next page only when the previous one is used up; what the server returns, in its order. */
    private final class PagedListing implements Iterator<StoredObject> {
        private final String prefix;
        private Iterator<PagedResponse<BlobItem>> pages;
        private Iterator<BlobItem> page = Collections.emptyIterator();
        private boolean lastPageFetched;

        PagedListing(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public boolean hasNext() {
            while (!page.hasNext() && !lastPageFetched) {
                fetchPage();
            }
            return page.hasNext();
        }

        @Override
        public StoredObject next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            BlobItem item = page.next();
            String key = item.getName();
            if (!key.startsWith(prefix)) {
                throw new StorageException("listing of prefix '" + prefix + "' from " + describe() + " returned key '" + key
                        + "' outside the prefix");
            }
            BlobItemProperties p = item.getProperties();
            return new StoredObject(key, p.getContentLength(), p.getLastModified().toInstant(), p.getETag());
        }

        private void fetchPage() {
            PagedResponse<BlobItem> response = call("list", "list of prefix '" + prefix + "'", () -> {
                if (pages == null) {
                    pages = client.listBlobs(new ListBlobsOptions().setPrefix(prefix).setMaxResultsPerPage(pageSize), null)
                            .iterableByPage(pageSize).iterator();
                }
                return pages.hasNext() ? pages.next() : null;
            });
            if (response == null) {
                lastPageFetched = true;
                return;
            }
            page = response.getValue().iterator();
            if (response.getContinuationToken() == null || response.getContinuationToken().isEmpty()) {
                lastPageFetched = true;
            }
        }
    }
}
