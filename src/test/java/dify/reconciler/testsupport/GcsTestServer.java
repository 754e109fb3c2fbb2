package dify.reconciler.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import java.util.zip.GZIPInputStream;

/**
 * A Google Cloud Storage JSON API server for tests, in memory, on a loopback port: no GCS emulator installs on this
 * machine (the usual ones come from registries it does not reach), and Google's {@code google-cloud-nio} helper fakes
 * the Java client's API, not the wire protocol the daemon's Go client and our Java client speak. Reached the way
 * users reach an emulator: {@code STORAGE_EMULATOR_HOST=http://127.0.0.1:<port>}.
 *
 * <p>It serves exactly what Google's Java client (2.63, HTTP transport) sends for our adapter, each behaviour as
 * Google's JSON API reference documents it:
 * <ul>
 * <li>objects.list ({@code GET /storage/v1/b/B/o}) with {@code prefix}, {@code maxResults} (at most 1,000) and
 * {@code pageToken} (opaque), in UTF-8 byte order of names;
 * <li>objects.get metadata and media ({@code alt=media}, also under {@code /download}), with {@code generation} and
 * a {@code Range} header (206; 416 past the end);
 * <li>objects.insert as {@code uploadType=multipart} and {@code uploadType=resumable} (session URL in
 * {@code Location}, chunks with {@code Content-Range}, 308 with {@code Range} until the last one);
 * <li>objects.rewrite and objects.copy (one call: {@code done} is always true), objects.delete;
 * <li>preconditions {@code ifGenerationMatch} (0 = must not exist), {@code ifGenerationNotMatch},
 * {@code ifSourceGenerationMatch}, {@code sourceGeneration}: a failed one answers 412 {@code conditionNotMet}, a
 * missing object 404 {@code notFound} first (a resumable upload checks at start and at the end);
 * <li>object names percent-encoded in paths ({@code /} as {@code %2F}); request bodies gzip-encoded or not.
 * </ul>
 *
 * <p>Not emulated: authentication and IAM (every request is allowed unless a fault is injected), buckets' own API
 * (buckets are created by the test), metagenerations and metadata updates (metageneration is always 1), object
 * versioning (a replaced generation is gone), {@code delimiter}/prefixes, {@code startOffset}/{@code endOffset},
 * {@code versions}, {@code fields} (full resources are always returned), checksums sent by the client (stored
 * checksums are computed here, the client's are not verified), multi-call rewrites ({@code rewriteToken}), XML
 * API, gRPC, batch requests, rate limits, retention and holds, encryption keys, signed URLs. Listing in UTF-16 order
 * ({@link #listInUtf16Order}) and faults ({@link #fail}) are injected per bucket for the failure tests.
 */
public final class GcsTestServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\*|(\\d+)-(\\d+))/(\\*|\\d+)");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");
    private static final Comparator<String> UTF8_ORDER = (a, b) -> Arrays.compareUnsigned(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    private static GcsTestServer shared;

    private final HttpServer server;
    private final ExecutorService executor;
    private final URI endpoint;
    private final AtomicLong generations = new AtomicLong(System.currentTimeMillis() * 1000);
    private final Map<String, NavigableMap<String, StoredBlob>> buckets = new HashMap<>();
    private final Map<String, Upload> uploads = new HashMap<>();
    private final Map<String, Fault> faults = new HashMap<>();
    private final Set<String> utf16Buckets = new HashSet<>();
    private final Map<String, Runnable> before = new HashMap<>();
    private final List<String> requests = Collections.synchronizedList(new ArrayList<>());

    /** One stored object: a generation's bytes. */
    private record StoredBlob(String name, long generation, byte[] content, Instant created) {
    }

    /** A resumable upload session. */
    private static final class Upload {
        final String bucket;
        final String name;
        final Map<String, String> query;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();

        Upload(String bucket, String name, Map<String, String> query) {
            this.bucket = bucket;
            this.name = name;
            this.query = query;
        }
    }

    /**
     * An injected failure for one bucket and operation: answer {@code status} to the next {@code times} requests; with
     * {@code afterCommit} the write is made first and only its answer fails (a lost answer).
     */
    private static final class Fault {
        final int status;
        int remaining;
        final boolean afterCommit;

        Fault(int status, int times, boolean afterCommit) {
            this.status = status;
            this.remaining = times;
            this.afterCommit = afterCommit;
        }
    }

    /** The operations a fault can be injected into. */
    public enum Operation {
        LIST,
        GET,
        MEDIA,
        UPLOAD,
        REWRITE,
        DELETE
    }

    private GcsTestServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
        this.endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The instance shared by every test in this JVM, started on first use (in milliseconds), stopped at JVM exit. */
    public static synchronized GcsTestServer shared() {
        if (shared == null) {
            GcsTestServer started = start();
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "gcs-test-server-stop"));
            shared = started;
        }
        return shared;
    }

    /** Starts a private instance on a free loopback port; the caller closes it. */
    public static GcsTestServer start() {
        try {
            HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            ExecutorService executor = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "gcs-test-server");
                t.setDaemon(true);
                return t;
            });
            GcsTestServer gcs = new GcsTestServer(http, executor);
            http.createContext("/", gcs::handle);
            http.setExecutor(executor);
            http.start();
            return gcs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the GCS test server", e);
        }
    }

    /** {@code http://127.0.0.1:port}: the value of {@code STORAGE_EMULATOR_HOST}. */
    public URI endpoint() {
        return endpoint;
    }

    /** Creates an empty bucket and returns its name. */
    public synchronized String createBucket(String name) {
        if (buckets.putIfAbsent(name, new TreeMap<>(UTF8_ORDER)) != null) {
            throw new IllegalStateException("bucket " + name + " exists");
        }
        return name;
    }

    /** Removes a bucket and everything in it (then every request on it answers 404, as GCS does). */
    public synchronized void deleteBucket(String name) {
        buckets.remove(name);
    }

    /** Writes an object directly (a new generation), as another writer would. */
    public synchronized long put(String bucket, String name, byte[] content) {
        return store(bucketOrThrow(bucket), name, content).generation;
    }

    /** Deletes an object directly; false when it did not exist. */
    public synchronized boolean remove(String bucket, String name) {
        return bucketOrThrow(bucket).remove(name) != null;
    }

    /** The MD5 GCS gives an object ({@code md5Hash}, base64), or null when it does not exist. */
    public synchronized String md5Hash(String bucket, String name) {
        StoredBlob blob = bucketOrThrow(bucket).get(name);
        return blob == null ? null : md5(blob.content);
    }

    /** The live generation of an object, or null when it does not exist. */
    public synchronized Long generation(String bucket, String name) {
        StoredBlob blob = bucketOrThrow(bucket).get(name);
        return blob == null ? null : blob.generation;
    }

    /** Every object of the bucket, name to bytes, in UTF-8 byte order. */
    public synchronized Map<String, byte[]> contents(String bucket) {
        Map<String, byte[]> all = new LinkedHashMap<>();
        bucketOrThrow(bucket).forEach((name, blob) -> all.put(name, blob.content.clone()));
        return all;
    }

    /** From now on, lists this bucket in Java's {@code String} order (UTF-16 code units), which GCS never does. */
    public synchronized void listInUtf16Order(String bucket) {
        utf16Buckets.add(bucket);
    }

    /** Runs {@code action} (e.g. another writer's {@link #put}) just before the next request of {@code operation} is served. */
    public synchronized void beforeNext(String bucket, Operation operation, Runnable action) {
        before.put(bucket + " " + operation, action);
    }

    /** Answers {@code status} to the next {@code times} requests of {@code operation} on {@code bucket}. */
    public synchronized void fail(String bucket, Operation operation, int status, int times) {
        faults.put(bucket + " " + operation, new Fault(status, times, false));
    }

    /** Makes the next {@code times} writes of {@code operation} on {@code bucket}, then answers {@code status}: lost answers. */
    public synchronized void loseAnswers(String bucket, Operation operation, int status, int times) {
        faults.put(bucket + " " + operation, new Fault(status, times, true));
    }

    /** The requests made so far on {@code bucket}, as {@code METHOD operation name?query}. */
    public List<String> requests(String bucket) {
        synchronized (requests) {
            return requests.stream().filter(r -> r.startsWith(bucket + " ")).map(r -> r.substring(bucket.length() + 1)).toList();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // --- HTTP ---

    /** What a handler answers. */
    private record Answer(int status, Map<String, String> headers, byte[] body) {
        static Answer json(int status, JsonNode body) {
            return new Answer(status, Map.of("Content-Type", "application/json; charset=UTF-8"),
                    body.toString().getBytes(StandardCharsets.UTF_8));
        }

        static Answer empty(int status) {
            return new Answer(status, Map.of(), new byte[0]);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        Answer answer;
        try {
            answer = route(exchange);
        } catch (ErrorAnswer e) {
            answer = e.answer;
        } catch (RuntimeException e) {
            answer = error(500, "backendError", "test server: " + e);
        }
        try (exchange) {
            exchange.getResponseHeaders().set("Server", "GcsTestServer");
            answer.headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
            boolean noBody = answer.body.length == 0 || exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(answer.status, noBody ? -1 : answer.body.length);
            if (!noBody) {
                exchange.getResponseBody().write(answer.body);
            }
        }
    }

    /** Thrown to answer an error from deep inside a handler. */
    private static final class ErrorAnswer extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Answer answer;

        ErrorAnswer(Answer answer) {
            super(null, null, false, false);
            this.answer = answer;
        }
    }

    private static ErrorAnswer fail(int status, String reason, String message) {
        return new ErrorAnswer(error(status, reason, message));
    }

    /** GCS's JSON error document. */
    private static Answer error(int status, String reason, String message) {
        ObjectNode detail = JSON.createObjectNode().put("message", message).put("domain", "global").put("reason", reason);
        ObjectNode error = JSON.createObjectNode().put("code", status).put("message", message);
        error.putArray("errors").add(detail);
        ObjectNode body = JSON.createObjectNode();
        body.set("error", error);
        return Answer.json(status, body);
    }

    private Answer route(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String rawPath = exchange.getRequestURI().getRawPath();
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        String[] raw = rawPath.split("/", -1);
        List<String> path = new ArrayList<>();
        for (int i = 1; i < raw.length; i++) {
            path.add(percentDecode(raw[i]));
        }
        byte[] body = body(exchange);
        boolean download = !path.isEmpty() && path.get(0).equals("download");
        if (download) {
            path.remove(0);
        }
        boolean upload = !path.isEmpty() && path.get(0).equals("upload");
        if (upload) {
            path.remove(0);
        }
        if (path.size() < 4 || !path.get(0).equals("storage") || !path.get(1).equals("v1") || !path.get(2).equals("b")) {
            throw fail(404, "notFound", "test server: no route for " + method + " " + rawPath);
        }
        String bucket = path.get(3);
        List<String> rest = path.subList(4, path.size());
        if (upload) {
            if (method.equals("POST") && rest.equals(List.of("o"))) {
                return query.containsKey("upload_id")
                        ? uploadChunk(exchange, bucket, query, body)
                        : startUpload(exchange, bucket, query, body);
            }
            if (method.equals("PUT") && rest.equals(List.of("o")) && query.containsKey("upload_id")) {
                return uploadChunk(exchange, bucket, query, body);
            }
        } else if (rest.equals(List.of("o")) && method.equals("GET")) {
            return list(bucket, query);
        } else if (rest.size() == 2 && rest.get(0).equals("o")) {
            String name = rest.get(1);
            switch (method) {
                case "GET":
                    return "media".equals(query.get("alt")) || download
                            ? media(bucket, name, query, exchange.getRequestHeaders().getFirst("Range"))
                            : metadata(bucket, name, query);
                case "DELETE":
                    return delete(bucket, name, query);
                default:
                    break;
            }
        } else if (rest.size() == 7 && rest.get(0).equals("o") && (rest.get(2).equals("rewriteTo") || rest.get(2).equals("copyTo"))
                && rest.get(3).equals("b") && rest.get(5).equals("o") && method.equals("POST")) {
            return rewrite(bucket, rest.get(1), rest.get(4), rest.get(6), query, rest.get(2).equals("rewriteTo"));
        }
        throw fail(404, "notFound", "test server: no route for " + method + " " + rawPath);
    }

    private static byte[] body(HttpExchange exchange) throws IOException {
        boolean gzip = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"));
        try (InputStream in = gzip ? new GZIPInputStream(exchange.getRequestBody()) : exchange.getRequestBody()) {
            return in.readAllBytes();
        }
    }

    /** Path segments are percent-decoded only ({@code +} is a plus sign in a path). */
    private static String percentDecode(String segment) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] bytes = segment.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '%' && i + 2 < bytes.length) {
                out.write(Integer.parseInt(new String(bytes, i + 1, 2, StandardCharsets.US_ASCII), 16));
                i += 2;
            } else {
                out.write(bytes[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            query.put(key, value);
        }
        return query;
    }

    // --- operations (all state under this monitor) ---

    private synchronized void record(String bucket, String operation, String name, Map<String, String> query) {
        requests.add(bucket + " " + operation + " " + name + (query.isEmpty() ? "" : "?" + query));
    }

    /** Applies an injected fault before the operation; a lost-answer fault is returned to be applied after it. */
    private synchronized Fault injected(String bucket, Operation operation) {
        Runnable action = before.remove(bucket + " " + operation);
        if (action != null) {
            action.run();
        }
        Fault fault = faults.get(bucket + " " + operation);
        if (fault == null || fault.remaining <= 0) {
            return null;
        }
        fault.remaining--;
        if (!fault.afterCommit) {
            throw fail(fault.status, fault.status == 403 ? "forbidden" : "backendError",
                    "test server: injected HTTP " + fault.status + " on " + operation);
        }
        return fault;
    }

    private static void answerLost(Fault fault, Operation operation) {
        if (fault != null) {
            throw fail(fault.status, "backendError", "test server: " + operation + " done, answer replaced by HTTP " + fault.status);
        }
    }

    private NavigableMap<String, StoredBlob> bucketOrThrow(String bucket) {
        NavigableMap<String, StoredBlob> objects = buckets.get(bucket);
        if (objects == null) {
            throw fail(404, "notFound", "The specified bucket does not exist.");
        }
        return objects;
    }

    private synchronized Answer list(String bucket, Map<String, String> query) {
        record(bucket, "list", "", query);
        injected(bucket, Operation.LIST);
        NavigableMap<String, StoredBlob> objects = bucketOrThrow(bucket);
        String prefix = query.getOrDefault("prefix", "");
        int max = Math.min(1000, Integer.parseInt(query.getOrDefault("maxResults", "1000")));
        if (max < 1) {
            throw fail(400, "invalid", "Invalid value for maxResults");
        }
        List<String> names = objects.keySet().stream().filter(n -> n.startsWith(prefix)).toList();
        if (utf16Buckets.contains(bucket)) {
            names = names.stream().sorted().toList();
        }
        int start = 0;
        String token = query.get("pageToken");
        if (token != null && !token.isEmpty()) {
            String after = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            start = names.indexOf(after) + 1;
            if (start == 0) { // the token's name is gone: continue after where it would be
                start = (int) names.stream().filter(n -> UTF8_ORDER.compare(n, after) <= 0).count();
            }
        }
        ObjectNode page = JSON.createObjectNode().put("kind", "storage#objects");
        List<String> chosen = names.subList(start, Math.min(names.size(), start + max));
        if (start + max < names.size()) {
            page.put("nextPageToken", Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(chosen.get(chosen.size() - 1).getBytes(StandardCharsets.UTF_8)));
        }
        if (!chosen.isEmpty()) {
            ArrayNode items = page.putArray("items");
            chosen.forEach(n -> items.add(resource(bucket, objects.get(n))));
        }
        return Answer.json(200, page);
    }

    private synchronized Answer metadata(String bucket, String name, Map<String, String> query) {
        record(bucket, "get", name, query);
        injected(bucket, Operation.GET);
        StoredBlob blob = existing(bucket, name, query);
        return Answer.json(200, resource(bucket, blob));
    }

    private synchronized Answer media(String bucket, String name, Map<String, String> query, String range) {
        record(bucket, "media", name, query);
        injected(bucket, Operation.MEDIA);
        StoredBlob blob = existing(bucket, name, query);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/octet-stream");
        headers.put("x-goog-generation", Long.toString(blob.generation));
        headers.put("x-goog-metageneration", "1");
        headers.put("x-goog-stored-content-length", Integer.toString(blob.content.length));
        headers.put("x-goog-hash", "crc32c=" + crc32c(blob.content) + ",md5=" + md5(blob.content));
        headers.put("ETag", etag(blob));
        if (range == null) {
            return new Answer(200, headers, blob.content);
        }
        Matcher m = RANGE.matcher(range.trim());
        if (!m.matches()) {
            return new Answer(200, headers, blob.content);
        }
        long first = Long.parseLong(m.group(1));
        long last = m.group(2).isEmpty() ? blob.content.length - 1L : Math.min(Long.parseLong(m.group(2)), blob.content.length - 1L);
        if (first >= blob.content.length) {
            if (blob.content.length == 0 && first == 0) {
                return new Answer(200, headers, blob.content);
            }
            headers.put("Content-Range", "bytes */" + blob.content.length);
            return new Answer(416, headers, error(416, "requestedRangeNotSatisfiable", "Request range not satisfiable").body);
        }
        headers.put("Content-Range", "bytes " + first + "-" + last + "/" + blob.content.length);
        return new Answer(206, headers, Arrays.copyOfRange(blob.content, (int) first, (int) last + 1));
    }

    /** The live object (or the generation asked for), after its preconditions; 404 when missing, as GCS checks first. */
    private StoredBlob existing(String bucket, String name, Map<String, String> query) {
        StoredBlob blob = bucketOrThrow(bucket).get(name);
        if (blob == null || (query.containsKey("generation") && Long.parseLong(query.get("generation")) != blob.generation)) {
            throw fail(404, "notFound", "No such object: " + bucket + "/" + name);
        }
        checkPreconditions(blob, query, "");
        return blob;
    }

    /** {@code ifGenerationMatch} and {@code ifGenerationNotMatch} (with a key prefix: {@code ifSource…}). */
    private static void checkPreconditions(StoredBlob blob, Map<String, String> query, String source) {
        long live = blob == null ? 0 : blob.generation;
        String match = query.get(source.isEmpty() ? "ifGenerationMatch" : "ifSourceGenerationMatch");
        String notMatch = query.get(source.isEmpty() ? "ifGenerationNotMatch" : "ifSourceGenerationNotMatch");
        if ((match != null && Long.parseLong(match) != live) || (notMatch != null && Long.parseLong(notMatch) == live)) {
            throw fail(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.");
        }
    }

    private synchronized Answer delete(String bucket, String name, Map<String, String> query) {
        record(bucket, "delete", name, query);
        Fault lost = injected(bucket, Operation.DELETE);
        existing(bucket, name, query);
        bucketOrThrow(bucket).remove(name);
        answerLost(lost, Operation.DELETE);
        return Answer.empty(204);
    }

    private synchronized Answer rewrite(String sourceBucket, String sourceName, String bucket, String name,
            Map<String, String> query, boolean rewrite) {
        record(bucket, rewrite ? "rewrite" : "copy", sourceName + " -> " + name, query);
        Fault lost = injected(bucket, Operation.REWRITE);
        StoredBlob source = bucketOrThrow(sourceBucket).get(sourceName);
        if (source == null || (query.containsKey("sourceGeneration")
                && Long.parseLong(query.get("sourceGeneration")) != source.generation)) {
            throw fail(404, "notFound", "No such object: " + sourceBucket + "/" + sourceName);
        }
        checkPreconditions(source, query, "source");
        NavigableMap<String, StoredBlob> target = bucketOrThrow(bucket);
        checkPreconditions(target.get(name), query, "");
        StoredBlob written = store(target, name, source.content);
        answerLost(lost, Operation.REWRITE);
        if (!rewrite) {
            return Answer.json(200, resource(bucket, written));
        }
        ObjectNode response = JSON.createObjectNode().put("kind", "storage#rewriteResponse")
                .put("totalBytesRewritten", Long.toString(written.content.length))
                .put("objectSize", Long.toString(written.content.length)).put("done", true);
        response.set("resource", resource(bucket, written));
        return Answer.json(200, response);
    }

    private synchronized Answer startUpload(HttpExchange exchange, String bucket, Map<String, String> query, byte[] body)
            throws IOException {
        String type = query.getOrDefault("uploadType", "");
        if (type.equals("multipart")) {
            return multipart(exchange, bucket, query, body);
        }
        if (!type.equals("resumable")) {
            throw fail(400, "invalid", "test server: uploadType '" + type + "' is not emulated");
        }
        String name = query.get("name");
        if (body.length > 0) {
            JsonNode metadata = JSON.readTree(body);
            if (metadata.hasNonNull("name")) {
                name = metadata.get("name").asText();
            }
        }
        if (name == null) {
            throw fail(400, "required", "Required parameter: name");
        }
        record(bucket, "resumable-start", name, query);
        checkPreconditions(bucketOrThrow(bucket).get(name), query, "");
        String id = UUID.randomUUID().toString();
        uploads.put(id, new Upload(bucket, name, query));
        String location = endpoint + "/upload/storage/v1/b/" + bucket + "/o?uploadType=resumable&upload_id=" + id;
        return new Answer(200, Map.of("Location", location), new byte[0]);
    }

    private synchronized Answer uploadChunk(HttpExchange exchange, String bucket, Map<String, String> query, byte[] body) {
        Upload upload = uploads.get(query.get("upload_id"));
        if (upload == null) {
            throw fail(404, "notFound", "No such upload session");
        }
        record(bucket, "resumable-chunk", upload.name, query);
        String header = exchange.getRequestHeaders().getFirst("Content-Range");
        Matcher m = CONTENT_RANGE.matcher(header == null ? "bytes */*" : header.trim());
        if (!m.matches()) {
            throw fail(400, "invalid", "bad Content-Range " + header);
        }
        long have = upload.received.size();
        if (m.group(2) != null) {
            long first = Long.parseLong(m.group(2));
            if (first > have) {
                throw fail(400, "invalid", "chunk starts at " + first + ", have " + have);
            }
            int skip = (int) (have - first); // a resent chunk: keep only what is new
            if (skip < body.length) {
                upload.received.write(body, skip, body.length - skip);
            }
        }
        long received = upload.received.size();
        if (m.group(4).equals("*") || Long.parseLong(m.group(4)) != received) {
            return new Answer(308, received == 0 ? Map.of() : Map.of("Range", "bytes=0-" + (received - 1)), new byte[0]);
        }
        Fault lost = injected(bucket, Operation.UPLOAD);
        NavigableMap<String, StoredBlob> objects = bucketOrThrow(upload.bucket);
        checkPreconditions(objects.get(upload.name), upload.query, "");
        StoredBlob written = store(objects, upload.name, upload.received.toByteArray());
        uploads.remove(query.get("upload_id"));
        answerLost(lost, Operation.UPLOAD);
        return Answer.json(200, resource(bucket, written));
    }

    /** {@code multipart/related}: a JSON metadata part, then the media part. */
    private Answer multipart(HttpExchange exchange, String bucket, Map<String, String> query, byte[] body) throws IOException {
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        Matcher b = Pattern.compile("boundary=\"?([^\";]+)\"?").matcher(contentType == null ? "" : contentType);
        if (!b.find()) {
            throw fail(400, "invalid", "multipart upload without a boundary");
        }
        List<byte[]> parts = parts(body, b.group(1));
        if (parts.size() != 2) {
            throw fail(400, "invalid", "multipart upload with " + parts.size() + " parts");
        }
        JsonNode metadata = JSON.readTree(parts.get(0));
        String name = metadata.hasNonNull("name") ? metadata.get("name").asText() : query.get("name");
        record(bucket, "multipart", name, query);
        Fault lost = injected(bucket, Operation.UPLOAD);
        NavigableMap<String, StoredBlob> objects = bucketOrThrow(bucket);
        checkPreconditions(objects.get(name), query, "");
        StoredBlob written = store(objects, name, parts.get(1));
        answerLost(lost, Operation.UPLOAD);
        return Answer.json(200, resource(bucket, written));
    }

    /** The bodies of a multipart document (each part's headers dropped). */
    private static List<byte[]> parts(byte[] body, String boundary) {
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
        List<byte[]> parts = new ArrayList<>();
        int at = indexOf(body, delimiter, 0);
        while (at >= 0) {
            int start = at + delimiter.length;
            if (start + 1 < body.length && body[start] == '-' && body[start + 1] == '-') {
                break; // the closing delimiter
            }
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), start);
            int next = indexOf(body, ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII), headersEnd);
            if (headersEnd < 0 || next < 0) {
                throw fail(400, "invalid", "malformed multipart body");
            }
            parts.add(Arrays.copyOfRange(body, headersEnd + 4, next));
            at = next + 2;
        }
        return parts;
    }

    private static int indexOf(byte[] data, byte[] pattern, int from) {
        outer : for (int i = Math.max(0, from); i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private StoredBlob store(NavigableMap<String, StoredBlob> objects, String name, byte[] content) {
        StoredBlob blob = new StoredBlob(name, generations.incrementAndGet(), content.clone(), Instant.now());
        objects.put(name, blob);
        return blob;
    }

    private ObjectNode resource(String bucket, StoredBlob blob) {
        String time = blob.created.toString();
        String encoded = URLEncoderPath.encode(blob.name);
        return JSON.createObjectNode()
                .put("kind", "storage#object")
                .put("id", bucket + "/" + blob.name + "/" + blob.generation)
                .put("selfLink", endpoint + "/storage/v1/b/" + bucket + "/o/" + encoded)
                .put("mediaLink", endpoint + "/download/storage/v1/b/" + bucket + "/o/" + encoded + "?generation="
                        + blob.generation + "&alt=media")
                .put("name", blob.name)
                .put("bucket", bucket)
                .put("generation", Long.toString(blob.generation))
                .put("metageneration", "1")
                .put("contentType", "application/octet-stream")
                .put("storageClass", "STANDARD")
                .put("size", Integer.toString(blob.content.length))
                .put("md5Hash", md5(blob.content))
                .put("crc32c", crc32c(blob.content))
                .put("etag", etag(blob))
                .put("timeCreated", time)
                .put("updated", time)
                .put("timeStorageClassUpdated", time);
    }

    private static String etag(StoredBlob blob) {
        return Base64.getEncoder().encodeToString(Long.toString(blob.generation).getBytes(StandardCharsets.US_ASCII));
    }

    private static String crc32c(byte[] content) {
        CRC32C crc = new CRC32C();
        crc.update(content);
        return Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static String md5(byte[] content) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Percent-encodes a name as one path segment (RFC 3986 unreserved characters kept). */
    private static final class URLEncoderPath {
        private URLEncoderPath() {
        }

        static String encode(String name) {
            StringBuilder out = new StringBuilder();
            for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
                char c = (char) (b & 0xff);
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
                    out.append(c);
                } else {
                    out.append('%').append(String.format(Locale.ROOT, "%02X", b & 0xff));
                }
            }
            return out.toString();
        }
    }
}
