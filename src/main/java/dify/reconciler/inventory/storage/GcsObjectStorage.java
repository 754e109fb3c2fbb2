package dify.reconciler.inventory.storage;

import com.google.api.gax.paging.Page;
import com.google.api.gax.retrying.RetrySettings;
import com.google.cloud.BaseServiceException;
import com.google.cloud.NoCredentials;
import com.google.cloud.ReadChannel;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.Storage.BlobField;
import com.google.cloud.storage.Storage.BlobListOption;
import com.google.cloud.storage.Storage.BlobSourceOption;
import com.google.cloud.storage.Storage.BlobTargetOption;
import com.google.cloud.storage.Storage.BlobWriteOption;
import com.google.cloud.storage.StorageOptions;
import dify.reconciler.catalog.KeyOrder;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.Channels;
import java.time.Instant;
import java.time.OffsetDateTime;
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
 * The daemon's bucket on Google Cloud Storage, through Google's Java client over the JSON API (HTTP only, no gRPC).
 *
 * <p>GCS lists in UTF-8 byte order of names, the order {@link ObjectStorage#list} promises; the order is still checked
 * key by key and a listing out of order fails the scan naming the keys, never merged. A page that cannot be fetched
 * throws: a listing is never cut short.
 *
 * <p>An object's version, as the rest of the reconciler compares it ({@link StoredObject#etag()}), is its content tag:
 * GCS's MD5 ({@code md5:<base64>}; {@code crc32c:<base64>} for composite objects, which have none) with its size, so a
 * copy carries its source's tag, as an S3 copy carries its ETag. Every write first reads the object's current
 * <em>generation</em> and checks its content tag and size against the version the caller observed, then writes with
 * GCS preconditions on that generation, which GCS evaluates atomically with the write: {@code ifGenerationMatch=0}
 * (create only), {@code ifGenerationMatch=N} (replace or delete exactly generation N), and for a copy (a rewrite)
 * {@code sourceGeneration} and {@code ifSourceGenerationMatch} as well; a change after the check fails the write. A failed precondition (HTTP 412, or 404 for a delete of a
 * gone object) is {@link ObjectChangedException}: nothing was written. The client retries a conditional request on
 * a lost answer; when the retry's precondition fails because the first attempt wrote, {@link LostAnswer} decides.
 *
 * <p>Messages never contain the credentials ({@code GCS_CREDENTIALS} is a secret): they say where the credentials
 * came from.
 */
public final class GcsObjectStorage implements ObjectStorage {

    private static final Logger LOG = Logger.getLogger(GcsObjectStorage.class);

    /** The largest page GCS returns. */
    public static final int DEFAULT_PAGE_SIZE = 1000;

    /** Any project id for the emulator: object requests do not use it, and setting one stops the client looking for one. */
    static final String EMULATOR_PROJECT = "dify-reconciler-emulator";

    private final Storage client;
    private final String bucket;
    private final int pageSize;
    private final StorageRequestListener listener;
    private final String endpoint;
    private final String credentialsSource;
    /** What {@link #checkReachable} lists; null lists the whole bucket. */
    private final String probePrefix;
    /** Set once a request has proven the bucket exists; see {@link #head}. */
    private volatile boolean bucketConfirmed;

    GcsObjectStorage(Storage client, String bucket, int pageSize, StorageRequestListener listener, String credentialsSource,
            String probePrefix) {
        if (pageSize < 1 || pageSize > DEFAULT_PAGE_SIZE) {
            throw new IllegalArgumentException("page size must be between 1 and 1000, was " + pageSize);
        }
        this.client = client;
        this.bucket = bucket;
        this.pageSize = pageSize;
        this.listener = listener;
        this.endpoint = client.getOptions().getHost();
        this.credentialsSource = credentialsSource;
        this.probePrefix = probePrefix;
    }

    /** Builds the client as the daemon's Go client is built from the same variables. */
    public static GcsObjectStorage create(GcsSettings settings, S3Timeouts timeouts, StorageRequestListener listener,
            String probePrefix) {
        return create(settings, timeouts, listener, probePrefix, DEFAULT_PAGE_SIZE);
    }

    /** As {@link #create(GcsSettings, S3Timeouts, StorageRequestListener, String)} with small pages (tests). */
    public static GcsObjectStorage create(GcsSettings settings, S3Timeouts timeouts, StorageRequestListener listener,
            String probePrefix, int pageSize) {
        StorageOptions.Builder options = StorageOptions.http()
                .setTransportOptions(HttpTransportOptions.newBuilder()
                        .setConnectTimeout((int) timeouts.connect().toMillis())
                        .setReadTimeout((int) timeouts.read().toMillis())
                        .build())
                // A few quick retries (conditional requests are idempotent), all within the request timeout: the
                // client's defaults (6 attempts over 50 s) would hold a failing scan for most of a minute.
                .setRetrySettings(RetrySettings.newBuilder()
                        .setMaxAttempts(4)
                        .setInitialRetryDelayDuration(java.time.Duration.ofMillis(200))
                        .setRetryDelayMultiplier(2.0)
                        .setMaxRetryDelayDuration(java.time.Duration.ofSeconds(2))
                        .setTotalTimeoutDuration(timeouts.request())
                        .setInitialRpcTimeoutDuration(timeouts.read())
                        .setMaxRpcTimeoutDuration(timeouts.read())
                        .setRpcTimeoutMultiplier(1.0)
                        .build());
        if (settings.emulator() != null) {
            // Google's Go client (the daemon's) reads STORAGE_EMULATOR_HOST and then sends no credentials; the Java
            // client does not read it, so we do. A project id of our own keeps the client from probing for one.
            options.setHost(settings.emulator().toString())
                    .setProjectId(EMULATOR_PROJECT)
                    .setCredentials(NoCredentials.getInstance());
        } else if (settings.credentialsJson() != null) {
            options.setCredentials(GcsSettings.credentials(settings.credentialsJson()));
        }
        return new GcsObjectStorage(options.build().getService(), settings.bucket(), pageSize, listener,
                settings.credentialsSource(), probePrefix);
    }

    @Override
    public Stream<StoredObject> list(String prefix) {
        Iterator<StoredObject> pages = new PagedListing(prefix == null ? "" : prefix);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(pages,
                Spliterator.ORDERED | Spliterator.DISTINCT | Spliterator.NONNULL), false);
    }

    /**
     * Reads the generation {@link #head} found, so the bytes are of one version even if the key is replaced while
     * they are read (then the read fails: a replaced generation is gone without object versioning).
     */
    @Override
    public InputStream open(String key) {
        Blob object = blob(key);
        if (object == null) {
            throw new StorageException("object not found in bucket '" + bucket + "': read '" + key + "' got HTTP 404");
        }
        ReadChannel channel = call("get", "read '" + key + "'",
                () -> client.reader(BlobId.of(bucket, key, object.getGeneration())));
        channel.setChunkSize(2 * 1024 * 1024);
        InputStream in = new TranslatingInputStream(Channels.newInputStream(channel), "read '" + key + "'");
        return new ExactLengthInputStream(in, object.getSize(), "'" + key + "' (GCS object size)");
    }

    @Override
    public Optional<StoredObject> head(String key) {
        return Optional.ofNullable(blob(key)).map(GcsObjectStorage::stored);
    }

    /** The live object's metadata (generation included), or null when it does not exist. */
    private Blob blob(String key) {
        Blob blob = call("head", "head '" + key + "'", () -> client.get(BlobId.of(bucket, key), blobFields()));
        if (blob == null) {
            // A missing bucket answers 404 for its objects too: confirm the bucket once before answering "absent".
            confirmBucketExists(key);
        }
        return blob;
    }

    /**
     * The generation of {@code expected} while it is at the version the caller observed (content tag and size).
     *
     * @throws ObjectChangedException when it is gone or changed
     */
    private long generationOf(StoredObject expected, String what) {
        Blob now = blob(expected.key());
        StoredObject seen = now == null ? null : stored(now);
        if (!expected.sameVersionAs(seen)) {
            throw new ObjectChangedException(what + " '" + expected.key() + "' changed: expected " + expected.describeVersion()
                    + ", found " + (seen == null ? "nothing" : seen.describeVersion()));
        }
        return now.getGeneration();
    }

    /** 0 (must not exist) when {@code expectedTarget} is null, else the generation of the observed target. */
    private long targetGeneration(String key, StoredObject expectedTarget, String operation) {
        if (expectedTarget == null) {
            VersionGuard.requireTarget(this, key, null, operation);
            return 0;
        }
        return generationOf(expectedTarget, operation + " target");
    }

    /**
     * A rewrite of the observed source generation ({@code sourceGeneration} and {@code ifSourceGenerationMatch}) to
     * the target with {@code ifGenerationMatch} (0: must not exist; N: the observed target). GCS evaluates both with
     * the write; the HEAD checks before only give a clearer refusal. A large object may take several rewrite calls,
     * each carrying the same preconditions.
     */
    @Override
    public StoredObject copy(StoredObject source, String targetKey, StoredObject expectedTarget) {
        long sourceGeneration = generationOf(source, "copy source");
        long targetGeneration = targetGeneration(targetKey, expectedTarget, "copy");
        String action = "copy '" + source.key() + "' to '" + targetKey + "'";
        try {
            Blob written = client.copy(Storage.CopyRequest.newBuilder()
                    .setSource(BlobId.of(bucket, source.key(), sourceGeneration))
                    .setSourceOptions(BlobSourceOption.generationMatch(sourceGeneration))
                    .setTarget(BlobId.of(bucket, targetKey), BlobTargetOption.generationMatch(targetGeneration))
                    .build()).getResult();
            listener.onRequest("copy", true);
            return stored(written);
        } catch (BaseServiceException e) {
            listener.onRequest("copy", false);
            return answerLost(e, targetKey, source.size(), () -> LostAnswer.sha256AtVersion(this, source))
                    .orElseThrow(() -> translateWrite(action, e));
        }
    }

    /**
     * A resumable upload with {@code ifGenerationMatch} (checked by GCS when the upload starts and when it ends). A
     * stream is not kept, so a failed precondition cannot be compared with what we sent and stays a refusal.
     */
    @Override
    public StoredObject put(String key, InputStream content, long length, StoredObject expectedTarget) {
        BlobWriteOption condition = BlobWriteOption.generationMatch(targetGeneration(key, expectedTarget, "put"));
        try {
            Blob written = client.createFrom(BlobInfo.newBuilder(bucket, key).build(), content, condition);
            listener.onRequest("put", true);
            if (written.getSize() == null || written.getSize() != length) {
                throw new StorageException("put '" + key + "': GCS stored " + written.getSize() + " bytes where "
                        + length + " were expected");
            }
            return stored(written);
        } catch (BaseServiceException e) {
            listener.onRequest("put", false);
            throw translateWrite("put '" + key + "'", e);
        } catch (IOException e) {
            listener.onRequest("put", false);
            throw new StorageException("put '" + key + "' to " + describe() + " failed: " + e.getMessage(), e);
        }
    }

    /** One multipart upload; a failed precondition is our lost earlier attempt when the key holds exactly these bytes. */
    @Override
    public StoredObject put(String key, byte[] content, StoredObject expectedTarget) {
        long generation = targetGeneration(key, expectedTarget, "put");
        try {
            Blob written = client.create(BlobInfo.newBuilder(bucket, key).build(), content,
                    BlobTargetOption.generationMatch(generation));
            listener.onRequest("put", true);
            return stored(written);
        } catch (BaseServiceException e) {
            listener.onRequest("put", false);
            return answerLost(e, key, content.length, () -> LostAnswer.sha256(content))
                    .orElseThrow(() -> translateWrite("put '" + key + "'", e));
        }
    }

    /** {@code ifGenerationMatch} = the observed generation; a gone object answers 404, a replaced one 412. */
    @Override
    public void delete(StoredObject expected) {
        long generation = generationOf(expected, "delete");
        String action = "delete '" + expected.key() + "'";
        boolean deleted;
        try {
            deleted = client.delete(BlobId.of(bucket, expected.key()), BlobSourceOption.generationMatch(generation));
            listener.onRequest("delete", true);
        } catch (BaseServiceException e) {
            listener.onRequest("delete", false);
            throw translateWrite(action, e);
        }
        if (!deleted) {
            throw new ObjectChangedException(action + ": the object is gone (HTTP 404): nothing deleted");
        }
    }

    /** Lists at most one key under the probe prefix (the daemon's package prefix): needs only storage.objects.list. */
    @Override
    public void checkReachable() {
        call("list", "list", () -> client.list(bucket, BlobListOption.prefix(probePrefix == null ? "" : probePrefix),
                BlobListOption.pageSize(1), BlobListOption.fields(BlobField.NAME)));
        bucketConfirmed = true;
    }

    private void confirmBucketExists(String key) {
        if (!bucketConfirmed) {
            call("list", "list of prefix '" + key + "'", () -> client.list(bucket, BlobListOption.prefix(key),
                    BlobListOption.pageSize(1), BlobListOption.fields(BlobField.NAME)));
            bucketConfirmed = true;
        }
    }

    @Override
    public String describe() {
        return "gs://" + bucket + " (" + endpoint + ", " + credentialsSource + ")";
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (Exception e) {
            LOG.debugf("closing the GCS client: %s", e);
        }
    }

    private static Storage.BlobGetOption blobFields() {
        return Storage.BlobGetOption.fields(BlobField.NAME, BlobField.SIZE, BlobField.UPDATED, BlobField.GENERATION,
                BlobField.MD5HASH, BlobField.CRC32C);
    }

    private static StoredObject stored(Blob blob) {
        OffsetDateTime updated = blob.getUpdateTimeOffsetDateTime();
        Instant modified = updated == null ? null : updated.toInstant();
        return new StoredObject(blob.getName(), blob.getSize() == null ? 0 : blob.getSize(), modified, contentTag(blob));
    }

    /** GCS's MD5 of the bytes, or its CRC32C for a composite object (which has no MD5); never a generation. */
    static String contentTag(Blob blob) {
        if (blob.getMd5() != null) {
            return "md5:" + blob.getMd5();
        }
        return blob.getCrc32c() == null ? null : "crc32c:" + blob.getCrc32c();
    }

    /**
     * The object our write made when its answer was lost: the client resent the request, its precondition failed
     * (412), and the key holds exactly the bytes we meant to write. Empty for every other failure.
     */
    private Optional<StoredObject> answerLost(BaseServiceException e, String key, long length, Supplier<byte[]> intended) {
        if (e.getCode() != 412) {
            return Optional.empty();
        }
        byte[] sha256 = intended.get();
        if (sha256 == null) {
            return Optional.empty();
        }
        Optional<StoredObject> ours = LostAnswer.ours(this, key, length, sha256);
        ours.ifPresent(o -> LOG.warnf("'%s': our conditional write answered HTTP 412 and the key holds exactly the bytes we"
                + " wrote (%s): an earlier attempt's answer was lost; taken as written by us", key, o.describeVersion()));
        return ours;
    }

    /** A failed precondition (412) means "changed", not "broken". */
    private StorageException translateWrite(String action, BaseServiceException e) {
        if (e.getCode() == 412) {
            return new ObjectChangedException(action + ": the object changed (HTTP 412 " + e.getReason() + "): nothing written", e);
        }
        if (e.getCode() == 404) {
            return new ObjectChangedException(action + ": the object is gone (HTTP 404): nothing written", e);
        }
        return translate(action, e);
    }

    private <T> T call(String operation, String action, Supplier<T> request) {
        try {
            T result = request.get();
            listener.onRequest(operation, true);
            return result;
        } catch (BaseServiceException e) {
            listener.onRequest(operation, false);
            throw translate(action, e);
        }
    }

    /** Maps client failures to messages that name the fix; the client's messages never include credentials. */
    private StorageException translate(String action, BaseServiceException e) {
        int code = e.getCode();
        String detail = action + " got HTTP " + code + (e.getReason() == null ? "" : " " + e.getReason());
        if (code == 401 || code == 403) {
            return new StorageException("access denied to bucket '" + bucket + "' at " + endpoint + " (check " + credentialsSource
                    + " and its IAM permissions: storage.objects.list, storage.objects.get; create and delete when armed): "
                    + detail + " (" + e.getMessage() + ")", e);
        }
        if (code == 404) {
            return new StorageException("bucket '" + bucket + "' or object not found at " + endpoint
                    + " (check PLUGIN_STORAGE_OSS_BUCKET): " + detail, e);
        }
        Throwable network = networkCause(e);
        if (network != null) {
            return new StorageException("cannot reach Google Cloud Storage at " + endpoint + ": " + network, e);
        }
        return new StorageException("GCS " + action + " on bucket '" + bucket + "' at " + endpoint + " failed: " + detail
                + " (" + e.getMessage() + ")", e);
    }

    private static Throwable networkCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException || t instanceof NoRouteToHostException
                    || t instanceof SocketTimeoutException) {
                return t;
            }
        }
        return null;
    }

    /** The reader's failures arrive as IOExceptions wrapping the client's; kept as IOExceptions, with our wording. */
    private final class TranslatingInputStream extends java.io.FilterInputStream {
        private final String action;

        TranslatingInputStream(InputStream in, String action) {
            super(in);
            this.action = action;
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException | BaseServiceException e) {
                throw failure(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException | BaseServiceException e) {
                throw failure(e);
            }
        }

        private IOException failure(Exception e) {
            listener.onRequest("get", false);
            return new IOException("GCS " + action + " on bucket '" + bucket + "' failed: " + e.getMessage(), e);
        }
    }

    /** Fetches the next page only when the previous one is used up; checks order across pages. */
    private final class PagedListing implements Iterator<StoredObject> {
        private final String prefix;
        private Iterator<Blob> page = Collections.emptyIterator();
        private Page<Blob> current;
        private boolean lastPageFetched;
        private String previousKey;

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
            Blob blob = page.next();
            String key = blob.getName();
            if (previousKey != null && KeyOrder.compare(previousKey, key) >= 0) {
                throw new StorageException("listing out of order from " + describe() + ": '" + key + "' came after '"
                        + previousKey + "' (keys must be strictly ascending in UTF-8 byte order)");
            }
            if (!key.startsWith(prefix)) {
                throw new StorageException("listing of prefix '" + prefix + "' from " + describe()
                        + " returned key '" + key + "' outside the prefix");
            }
            previousKey = key;
            return stored(blob);
        }

        private void fetchPage() {
            String action = "list of prefix '" + prefix + "'";
            Page<Blob> next;
            if (current == null) {
                next = call("list", action, () -> client.list(bucket, BlobListOption.prefix(prefix),
                        BlobListOption.pageSize(pageSize), BlobListOption.fields(BlobField.NAME, BlobField.SIZE,
                                BlobField.UPDATED, BlobField.GENERATION, BlobField.MD5HASH, BlobField.CRC32C)));
            } else {
                String token = current.getNextPageToken();
                next = call("list", action, current::getNextPage);
                if (next == null) {
                    throw new StorageException(action + " from " + describe() + " has a next page token ('" + token
                            + "') but no next page; refusing a partial listing");
                }
                if (token.equals(next.getNextPageToken())) {
                    throw new StorageException(action + " from " + describe()
                            + " returned the same page token twice; refusing a partial listing");
                }
            }
            bucketConfirmed = true;
            current = next;
            lastPageFetched = !next.hasNextPage();
            page = next.getValues().iterator();
        }
    }
}
