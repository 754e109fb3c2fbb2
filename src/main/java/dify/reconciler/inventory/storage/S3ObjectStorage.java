package dify.reconciler.inventory.storage;

import dify.reconciler.catalog.KeyOrder;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
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
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The daemon's bucket over the S3 API (AWS or any S3-compatible server); scans only read, remediation writes
 * through the guarded copy, put and delete.
 *
 * <p>Listing uses ListObjectsV2 one page at a time as the stream is consumed, and checks that keys
 * arrive in strictly ascending byte order, because the detectors merge this stream with sorted database
 * rows and a silently unsorted or truncated listing would turn into wrong findings.
 *
 * <p>Errors become {@link StorageException}s whose messages say what to fix and never contain the secret key.
 */
public final class S3ObjectStorage implements ObjectStorage {

    private static final Logger LOG = Logger.getLogger(S3ObjectStorage.class);

    /** The largest page S3 returns. */
    public static final int DEFAULT_PAGE_SIZE = 1000;

    private final S3Client client;
    private final String bucket;
    private final int pageSize;
    private final StorageRequestListener listener;
    private final String endpoint;
    /** What to check when access is denied: the static keys, or whatever the default chain found. */
    private final String credentialsHint;
    /** What {@link #checkReachable} lists; null lists the whole bucket. */
    private final String probePrefix;
    /** Which preconditions the service honours; see {@link S3Dialect}. */
    private final S3Dialect dialect;
    /** Set once a request has proven the bucket exists; see {@link #head}. */
    private volatile boolean bucketConfirmed;

    /** Reads {@code bucket} through {@code client}, which it takes ownership of (closed by {@link #close()}). */
    public S3ObjectStorage(S3Client client, String bucket) {
        this(client, bucket, DEFAULT_PAGE_SIZE, StorageRequestListener.NO_OP);
    }

    /**
     * @param pageSize keys per ListObjectsV2 request (1..1000); small values exercise pagination in tests
     * @param listener told about every request; {@link StorageRequestListener#NO_OP} when nothing listens
     */
    public S3ObjectStorage(S3Client client, String bucket, int pageSize, StorageRequestListener listener) {
        this(client, bucket, pageSize, listener, S3Settings.Credentials.STATIC_KEYS, null, S3Dialect.S3);
    }

    private S3ObjectStorage(S3Client client, String bucket, int pageSize, StorageRequestListener listener,
            S3Settings.Credentials credentials, String probePrefix, S3Dialect dialect) {
        if (pageSize < 1 || pageSize > DEFAULT_PAGE_SIZE) {
            throw new IllegalArgumentException("page size must be between 1 and 1000, was " + pageSize);
        }
        this.client = client;
        this.bucket = bucket;
        this.pageSize = pageSize;
        this.listener = listener;
        this.endpoint = describeEndpoint(client);
        this.probePrefix = probePrefix;
        this.dialect = dialect;
        this.credentialsHint = dialect.credentialsHint() != null
                ? dialect.credentialsHint()
                : credentials == S3Settings.Credentials.STATIC_KEYS
                        ? "check AWS_ACCESS_KEY / AWS_SECRET_KEY"
                        : "check the credentials the default AWS credential chain found: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,"
                                + " web identity, profile or instance role";
    }

    /** Builds the client the way the daemon does from its S3_* and AWS_* variables. */
    public static S3ObjectStorage create(S3Settings settings) {
        return create(settings, StorageRequestListener.NO_OP);
    }

    public static S3ObjectStorage create(S3Settings settings, StorageRequestListener listener) {
        return create(settings, S3Timeouts.DEFAULTS, listener);
    }

    /** As {@link #create(S3Settings, StorageRequestListener)}, with the given limits on each request. */
    public static S3ObjectStorage create(S3Settings settings, S3Timeouts timeouts, StorageRequestListener listener) {
        return create(settings, timeouts, listener, null);
    }

    /** @param probePrefix what {@link #checkReachable} lists (a prefix the credentials may list); null: the whole bucket */
    public static S3ObjectStorage create(S3Settings settings, S3Timeouts timeouts, StorageRequestListener listener,
            String probePrefix) {
        return create(settings, timeouts, listener, probePrefix, S3Dialect.S3);
    }

    /** As above, for an S3-compatible service whose preconditions and wording {@code dialect} describes. */
    public static S3ObjectStorage create(S3Settings settings, S3Timeouts timeouts, StorageRequestListener listener,
            String probePrefix, S3Dialect dialect) {
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials(settings))
                .httpClient(UrlConnectionHttpClient.builder()
                        .connectionTimeout(timeouts.connect())
                        .socketTimeout(timeouts.read())
                        .build())
                // A server that accepts and never answers (or trickles) must not hold an apply: one bound on the whole
                // call, retries included. A streamed GetObject's body is read after the call, bounded by the read timeout.
                .overrideConfiguration(o -> o.apiCallTimeout(timeouts.request()))
                // The SDK's default CRC checksums (since 2.30) are rejected by several S3-compatible
                // servers; we only read, so ask for checksums only where the API requires them.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (settings.endpoint() != null) {
            builder.endpointOverride(URI.create(settings.endpoint()));
        }
        // Same as the daemon (dify-cloud-kit v0.1.0+): S3_USE_PATH_STYLE applies on AWS and custom endpoints alike.
        builder.forcePathStyle(settings.forcePathStyle());
        return new S3ObjectStorage(builder.build(), settings.bucket(), DEFAULT_PAGE_SIZE, listener, settings.credentials(),
                probePrefix, dialect);
    }

    private static AwsCredentialsProvider credentials(S3Settings settings) {
        if (settings.credentials() == S3Settings.Credentials.DEFAULT_CHAIN) {
            return DefaultCredentialsProvider.builder().build();
        }
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(), settings.secretKey()));
    }

    @Override
    public Stream<StoredObject> list(String prefix) {
        String safePrefix = prefix == null ? "" : prefix;
        Iterator<StoredObject> pages = new PagedListing(safePrefix);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(pages,
                Spliterator.ORDERED | Spliterator.DISTINCT | Spliterator.NONNULL), false);
    }

    /** ListObjectsV2 with delimiter '/', one page (up to 1,000 folders and objects) per request as it is consumed. */
    @Override
    public Optional<Stream<ListingPart>> listOneLevel(String prefix) {
        Iterator<ListingPart> parts = new OneLevelListing(prefix == null ? "" : prefix);
        return Optional.of(StreamSupport.stream(Spliterators.spliteratorUnknownSize(parts,
                Spliterator.ORDERED | Spliterator.DISTINCT | Spliterator.NONNULL), false));
    }

    @Override
    public InputStream open(String key) {
        var response = call("get", "read '" + key + "'", () -> client.getObject(b -> b.bucket(bucket).key(key)));
        Long length = response.response().contentLength();
        // The URL-connection client ends a body cut short by the network as if it were complete: count it.
        return length == null ? response : new ExactLengthInputStream(response, length, "'" + key + "' (HTTP Content-Length)");
    }

    @Override
    public Optional<StoredObject> head(String key) {
        try {
            HeadObjectResponse response = client.headObject(b -> b.bucket(bucket).key(key));
            listener.onRequest("head", true);
            return Optional.of(new StoredObject(key, response.contentLength(), response.lastModified(), response.eTag()));
        } catch (S3Exception e) {
            // A HEAD response has no body, so a 404 for a missing bucket looks exactly like one for a missing
            // key (the SDK calls both NoSuchKey). Confirm the bucket once before answering "absent".
            if (e.statusCode() == 404 && !"NoSuchBucket".equals(errorCode(e))) {
                listener.onRequest("head", true);
                confirmBucketExists(key);
                return Optional.empty();
            }
            listener.onRequest("head", false);
            throw translate("head '" + key + "'", e);
        } catch (SdkException e) {
            listener.onRequest("head", false);
            throw translate("head '" + key + "'", e);
        }
    }

    /**
     * Server-side CopyObject, guarded twice: HEAD first (the source at the observed version, the target absent
     * or at its observed version), then conditional headers that S3 evaluates atomically with the copy:
     * {@code x-amz-copy-source-if-match} (the source's ETag) and, on the target, {@code If-None-Match: *} (a
     * new key) or {@code If-Match} (a replaced key). S3Proxy 4.1.0 honours {@code x-amz-copy-source-if-match}
     * (a mismatch answers 412; S3ObjectStorageTest proves it) but ignores conditions on the copy's target, so
     * there the window between our HEAD and the copy remains (milliseconds; the daemon writes a key once per
     * install). A single CopyObject copies up to 5 GB, far above any plugin package. A failed precondition is
     * checked against the source's bytes: our own earlier attempt whose answer was lost ({@link LostAnswer}).
     */
    @Override
    public StoredObject copy(StoredObject source, String targetKey, StoredObject expectedTarget) {
        VersionGuard.requireVersion(this, source, "copy source");
        VersionGuard.requireTarget(this, targetKey, expectedTarget, "copy");
        String action = "copy '" + source.key() + "' to '" + targetKey + "'";
        try {
            client.copyObject(b -> {
                b.sourceBucket(bucket).sourceKey(source.key()).destinationBucket(bucket)
                        .destinationKey(targetKey).copySourceIfMatch(source.etag());
                if (dialect.targetPreconditions()) {
                    b.ifNoneMatch(expectedTarget == null ? "*" : null)
                            .ifMatch(expectedTarget == null ? null : expectedTarget.etag());
                } else if (expectedTarget == null && dialect.forbidOverwriteHeader() != null) {
                    b.overrideConfiguration(o -> o.putHeader(dialect.forbidOverwriteHeader(), "true"));
                }
            });
            listener.onRequest("copy", true);
        } catch (SdkException e) {
            listener.onRequest("copy", false);
            return answerLost(e, targetKey, source.size(), () -> LostAnswer.sha256AtVersion(this, source))
                    .orElseThrow(() -> translateWrite(action, e));
        }
        return head(targetKey).orElseThrow(() -> new StorageException("'" + targetKey + "' vanished right after it was written"));
    }

    /**
     * PutObject with {@code If-None-Match: *} or {@code If-Match}, after the same HEAD check as {@link #copy}; S3
     * and S3Proxy 4.1.0 evaluate both atomically with the write. A stream is not kept, so a failed precondition
     * cannot be compared with what we sent and stays a refusal; the bytes variant can ({@link LostAnswer}).
     */
    @Override
    public StoredObject put(String key, InputStream content, long length, StoredObject expectedTarget) {
        return put(key, RequestBody.fromInputStream(content, length), length, expectedTarget, () -> null);
    }

    /** As the stream variant; a failed precondition is our lost earlier attempt when the key holds exactly these bytes. */
    @Override
    public StoredObject put(String key, byte[] content, StoredObject expectedTarget) {
        return put(key, RequestBody.fromBytes(content), content.length, expectedTarget, () -> LostAnswer.sha256(content));
    }

    private StoredObject put(String key, RequestBody body, long length, StoredObject expectedTarget, Supplier<byte[]> intended) {
        VersionGuard.requireTarget(this, key, expectedTarget, "put");
        try {
            client.putObject(b -> {
                b.bucket(bucket).key(key).contentLength(length);
                if (dialect.targetPreconditions()) {
                    b.ifNoneMatch(expectedTarget == null ? "*" : null)
                            .ifMatch(expectedTarget == null ? null : expectedTarget.etag());
                } else if (expectedTarget == null && dialect.forbidOverwriteHeader() != null) {
                    b.overrideConfiguration(o -> o.putHeader(dialect.forbidOverwriteHeader(), "true"));
                }
            }, body);
            listener.onRequest("put", true);
        } catch (SdkException e) {
            listener.onRequest("put", false);
            return answerLost(e, key, length, intended).orElseThrow(() -> translateWrite("put '" + key + "'", e));
        }
        return head(key).orElseThrow(() -> new StorageException("'" + key + "' vanished right after it was written"));
    }

    /**
     * The object our write made when its answer was lost: the request was sent again, its precondition failed, and
     * {@code key} holds exactly the {@code length} bytes whose SHA-256 {@code intended} gives (null: unknown, or
     * the source changed). Empty for every other failure. See {@link LostAnswer} for why such an object is ours.
     */
    private Optional<StoredObject> answerLost(SdkException e, String key, long length, Supplier<byte[]> intended) {
        if (!(e instanceof S3Exception s3 && (s3.statusCode() == 412 || s3.statusCode() == 409))) {
            return Optional.empty();
        }
        // Not only after a retry the SDK counted: the JDK's HTTP client itself resends a bodiless request (CopyObject)
        // whose kept-alive connection dropped, so our lost copy comes back 412 with "SDK Attempt Count: 1"
        // (S3LostAnswerTest). The bytes decide.
        byte[] sha256 = intended.get();
        if (sha256 == null) {
            return Optional.empty();
        }
        Optional<StoredObject> ours = LostAnswer.ours(this, key, length, sha256);
        ours.ifPresent(o -> LOG.warnf("'%s': our conditional write answered HTTP %d (%s attempt(s) counted) and the key holds"
                + " exactly the bytes we wrote (%s): an earlier attempt's answer was lost; taken as written by us", key,
                s3.statusCode(), e.numAttempts(), o.describeVersion()));
        return ours;
    }

    /**
     * HEAD, compare, then DeleteObject with {@code If-Match}, which S3 (since 2024) and S3Proxy 4.1.0 evaluate
     * atomically with the delete. A store that ignores it leaves the window between HEAD and delete.
     */
    @Override
    public void delete(StoredObject expected) {
        VersionGuard.requireVersion(this, expected, "delete");
        try {
            client.deleteObject(b -> b.bucket(bucket).key(expected.key())
                    .ifMatch(dialect.deletePrecondition() ? expected.etag() : null));
            listener.onRequest("delete", true);
        } catch (SdkException e) {
            listener.onRequest("delete", false);
            throw translateWrite("delete '" + expected.key() + "'", e);
        }
    }

    /** A failed precondition (412, or 409 for a concurrent conditional write) means "changed", not "broken". */
    private StorageException translateWrite(String action, SdkException e) {
        if (e instanceof S3Exception s3 && (s3.statusCode() == 412 || s3.statusCode() == 409)) {
            return new ObjectChangedException(action + ": the object changed (HTTP " + s3.statusCode() + " "
                    + errorCode(s3) + "): nothing written", e);
        }
        return translate(action, e);
    }

    /**
     * Lists at most one key under the probe prefix (the daemon's package prefix when set): a least-privilege
     * policy grants {@code s3:ListBucket} only with an {@code s3:prefix} condition (docs/bucket-policy-*.json), so
     * a listing without a prefix would be denied there although every scan is allowed.
     */
    @Override
    public void checkReachable() {
        call("list", "list", () -> client.listObjectsV2(b -> b.bucket(bucket).prefix(probePrefix).maxKeys(1)));
        bucketConfirmed = true;
    }

    /** Lists the key itself: needs {@code s3:ListBucket} only on the prefix the key is read from anyway. */
    private void confirmBucketExists(String key) {
        if (!bucketConfirmed) {
            call("list", "list of prefix '" + key + "'", () -> client.listObjectsV2(b -> b.bucket(bucket).prefix(key).maxKeys(1)));
            bucketConfirmed = true;
        }
    }

    @Override
    public String describe() {
        return "s3://" + bucket + " (" + endpoint + (dialect.provider() == null
                ? ""
                : ", " + dialect.provider()
                        + " S3-compatible API")
                + ")";
    }

    @Override
    public void close() {
        client.close();
    }

    private <T> T call(String operation, String action, Supplier<T> request) {
        try {
            T result = request.get();
            listener.onRequest(operation, true);
            return result;
        } catch (SdkException e) {
            listener.onRequest(operation, false);
            throw translate(action, e);
        }
    }

    /** Maps SDK failures to messages that name the fix. SDK messages never include the secret key. */
    private StorageException translate(String action, SdkException e) {
        if (e instanceof S3Exception s3) {
            String code = errorCode(s3);
            String detail = action + " got HTTP " + s3.statusCode() + (code == null ? "" : " " + code);
            if ("NoSuchBucket".equals(code)) {
                return new StorageException("bucket '" + bucket + "' does not exist at " + endpoint
                        + " (check PLUGIN_STORAGE_OSS_BUCKET): " + detail, e);
            }
            if (s3.statusCode() == 403 || "AccessDenied".equals(code) || "InvalidAccessKeyId".equals(code)
                    || "SignatureDoesNotMatch".equals(code)) {
                return new StorageException("access denied to bucket '" + bucket + "' (" + credentialsHint + ") at "
                        + endpoint + ": " + detail, e);
            }
            if ("NoSuchKey".equals(code) || s3.statusCode() == 404) {
                return new StorageException("object not found in bucket '" + bucket + "': " + detail, e);
            }
            return new StorageException("S3 request failed for bucket '" + bucket + "' at " + endpoint + ": " + detail
                    + (s3.awsErrorDetails() == null ? "" : " (" + s3.awsErrorDetails().errorMessage() + ")"), e);
        }
        if (e instanceof ApiCallTimeoutException) {
            return new StorageException("S3 " + action + " on bucket '" + bucket + "' at " + endpoint
                    + " got no answer within reconciler.s3.request-timeout: " + e.getMessage(), e);
        }
        if (e instanceof SdkClientException) {
            Throwable network = networkCause(e);
            if (network != null) {
                return new StorageException("cannot reach S3 endpoint " + endpoint + ": " + network, e);
            }
            if (String.valueOf(e.getMessage()).startsWith("Unable to load credentials")) {
                // Only the default chain can fail to load: static keys are always "loaded".
                return new StorageException("no S3 credentials for bucket '" + bucket + "': the default AWS credential chain"
                        + " found none (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a web identity token, or an"
                        + " instance role): " + e.getMessage(), e);
            }
        }
        return new StorageException("S3 " + action + " on bucket '" + bucket + "' at " + endpoint + " failed: "
                + e.getMessage(), e);
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

    private static String errorCode(S3Exception e) {
        AwsErrorDetails details = e.awsErrorDetails();
        return details == null ? null : details.errorCode();
    }

    private static String describeEndpoint(S3Client client) {
        var configuration = client.serviceClientConfiguration();
        return configuration.endpointOverride()
                .map(URI::toString)
                .orElseGet(() -> "AWS S3 region " + configuration.region());
    }

    /**
     * A delimiter listing: each page's common prefixes and objects merged into one sequence in key order (S3 returns
     * them in two lists); order and the prefix are checked across pages, a truncated page without a token fails.
     */
    private final class OneLevelListing implements Iterator<ListingPart> {
        private final String prefix;
        private final ArrayDeque<ListingPart> page = new ArrayDeque<>();
        private String continuationToken;
        private boolean lastPageFetched;
        private String previous;

        OneLevelListing(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public boolean hasNext() {
            while (page.isEmpty() && !lastPageFetched) {
                fetchPage();
            }
            return !page.isEmpty();
        }

        @Override
        public ListingPart next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            ListingPart part = page.poll();
            String start = part.start();
            if (previous != null && KeyOrder.compare(previous, start) >= 0) {
                throw new StorageException("delimiter listing out of order from " + describe() + ": '" + start
                        + "' came after '" + previous + "' (keys must be strictly ascending in UTF-8 byte order)");
            }
            if (!start.startsWith(prefix)) {
                throw new StorageException("delimiter listing of prefix '" + prefix + "' from " + describe()
                        + " returned '" + start + "' outside the prefix");
            }
            previous = start;
            return part;
        }

        private void fetchPage() {
            ListObjectsV2Request.Builder request = ListObjectsV2Request.builder()
                    .bucket(bucket)
                    .prefix(prefix)
                    .delimiter("/")
                    .maxKeys(pageSize)
                    .encodingType(EncodingType.URL)
                    .continuationToken(continuationToken);
            ListObjectsV2Response response = call("list", "delimiter listing of prefix '" + prefix + "'",
                    () -> client.listObjectsV2(request.build()));
            bucketConfirmed = true;
            if (Boolean.TRUE.equals(response.isTruncated())) {
                String next = response.nextContinuationToken();
                if (next == null || next.isEmpty() || next.equals(continuationToken)) {
                    throw new StorageException("delimiter listing of prefix '" + prefix + "' from " + describe()
                            + " is truncated but has no new continuation token; refusing a partial listing");
                }
                continuationToken = next;
            } else {
                lastPageFetched = true;
            }
            Iterator<CommonPrefix> folders = response.commonPrefixes().iterator();
            Iterator<S3Object> objects = response.contents().iterator();
            ListingPart folder = folders.hasNext() ? ListingPart.folder(folders.next().prefix()) : null;
            ListingPart object = objects.hasNext() ? objectPart(objects.next()) : null;
            while (folder != null || object != null) {
                if (object == null || (folder != null && KeyOrder.compare(folder.start(), object.start()) < 0)) {
                    page.add(folder);
                    folder = folders.hasNext() ? ListingPart.folder(folders.next().prefix()) : null;
                } else {
                    page.add(object);
                    object = objects.hasNext() ? objectPart(objects.next()) : null;
                }
            }
        }

        private ListingPart objectPart(S3Object o) {
            return ListingPart.of(new StoredObject(o.key(), o.size(), o.lastModified(), o.eTag()));
        }
    }

    /** Fetches the next page only when the previous one is used up; checks order across pages. */
    private final class PagedListing implements Iterator<StoredObject> {
        private final String prefix;
        private Iterator<S3Object> page = Collections.emptyIterator();
        private String continuationToken;
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
            S3Object object = page.next();
            String key = object.key();
            if (previousKey != null && KeyOrder.compare(previousKey, key) >= 0) {
                throw new StorageException("listing out of order from " + describe() + ": '" + key + "' came after '"
                        + previousKey + "' (keys must be strictly ascending in UTF-8 byte order)");
            }
            if (!key.startsWith(prefix)) {
                throw new StorageException("listing of prefix '" + prefix + "' from " + describe()
                        + " returned key '" + key + "' outside the prefix");
            }
            previousKey = key;
            return new StoredObject(key, object.size(), object.lastModified(), object.eTag());
        }

        private void fetchPage() {
            ListObjectsV2Request.Builder request = ListObjectsV2Request.builder()
                    .bucket(bucket)
                    .prefix(prefix)
                    .maxKeys(pageSize)
                    // URL-encoded keys survive characters that XML 1.0 cannot carry; the SDK decodes them.
                    .encodingType(EncodingType.URL)
                    .continuationToken(continuationToken);
            ListObjectsV2Response response = call("list", "list of prefix '" + prefix + "'",
                    () -> client.listObjectsV2(request.build()));
            bucketConfirmed = true;
            if (Boolean.TRUE.equals(response.isTruncated())) {
                String next = response.nextContinuationToken();
                if (next == null || next.isEmpty() || next.equals(continuationToken)) {
                    throw new StorageException("listing of prefix '" + prefix + "' from " + describe()
                            + " is truncated but has no new continuation token; refusing a partial listing");
                }
                continuationToken = next;
            } else {
                lastPageFetched = true;
            }
            page = response.contents().iterator();
        }
    }
}
