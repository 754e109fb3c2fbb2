package dify.reconciler.testsupport;

import dify.reconciler.inventory.storage.S3Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 API server for tests: S3Proxy run as its own JVM from its standalone jar (system property
 * {@code s3proxy.jar}, set by the pom; falls back to {@code target/s3proxy/s3proxy.jar}). It listens on
 * 127.0.0.1 only, on a free port, checks AWS signature v4 against fixed test credentials and keeps
 * objects in its {@code filesystem} backend (S3Proxy's own since 4.x; the property names still say jclouds)
 * under a temp folder that {@link #close()} deletes.
 *
 * <p>Starting costs about a second, so tests share one instance per JVM through {@link #shared()} and
 * isolate themselves with their own bucket ({@link #createBucket(String)}). One per JVM, not per class loader (each
 * {@code @QuarkusTest} application start loads this class again): the instance is recorded in {@link JvmWide}, and a
 * later class loader's {@code shared()} attaches to the running process.
 */
public final class S3ProxyServer implements AutoCloseable {

    public static final String ACCESS_KEY = "reconciler-test-access";
    public static final String SECRET_KEY = "reconciler-test-secret-do-not-log";
    public static final String REGION = "us-east-1";

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static S3ProxyServer shared;
    /** {@link JvmWide} key of {@link #shared()}. */
    private static final String SHARED = "s3proxy";
    private static final Map<String, S3ProxyServer> SHARED_VIRTUAL_HOSTS = new HashMap<>();

    private final ProcessHandle process;
    private final Path workDir;
    private final Path dataDir;
    private final URI endpoint;
    /** {@code http://<virtual host>:<port>}, or {@link #endpoint} when no virtual host is set. */
    private final URI hostEndpoint;
    private final S3Client client;
    /** Stops the server and deletes its folder if this JVM is killed; null in a view of another class loader's server. */
    private Process watchdog;

    private S3ProxyServer(ProcessHandle process, Path workDir, URI endpoint, String virtualHost) {
        this.process = process;
        this.workDir = workDir;
        this.dataDir = workDir.resolve("data");
        this.endpoint = endpoint;
        this.hostEndpoint = virtualHost == null ? endpoint : URI.create("http://" + virtualHost + ":" + endpoint.getPort());
        // With a virtual host, S3Proxy takes any other Host header for a bucket name (CNAME style): the path-style
        // client must name the virtual host itself.
        this.client = newClient(hostEndpoint, ACCESS_KEY, SECRET_KEY);
    }

    /**
     * The instance serving virtual-hosted requests for {@code virtualHost} ({@code <bucket>.<virtualHost>}), shared by
     * every test of this JVM. The names must resolve to this machine ({@code /etc/hosts}; {@code .ci/run} adds them):
     * {@code requiredNames} are checked first, and a missing one fails the test naming it.
     */
    public static synchronized S3ProxyServer sharedVirtualHost(String virtualHost, String... requiredNames) {
        requireLoopback(virtualHost);
        for (String name : requiredNames) {
            requireLoopback(name);
        }
        S3ProxyServer server = SHARED_VIRTUAL_HOSTS.get(virtualHost);
        if (server == null) {
            server = jvmWide("s3proxy.virtual-host." + virtualHost, virtualHost);
            SHARED_VIRTUAL_HOSTS.put(virtualHost, server);
        }
        return server;
    }

    /**
     * The instance recorded under {@code key} by any class loader of this JVM, or one started now, recorded, and
     * stopped at JVM exit.
     */
    private static S3ProxyServer jvmWide(String key, String virtualHost) {
        return JvmWide.shared(key, () -> {
            S3ProxyServer started = start(virtualHost);
            return new JvmWide.Started<>(started, started.process, "TERM", List.of(started.workDir),
                    Map.of("work", started.workDir.toString(), "endpoint", started.endpoint.toString()),
                    List.of(started.watchdog));
        }, recorded -> new S3ProxyServer(recorded.process(), Path.of(recorded.get("work")), URI.create(recorded.get("endpoint")),
                virtualHost));
    }

    private static void requireLoopback(String name) {
        try {
            if (!InetAddress.getByName(name).isLoopbackAddress()) {
                throw new IllegalStateException(name + " does not resolve to this machine: /etc/hosts needs '127.0.0.1 " + name
                        + "' (.ci/run adds it)");
            }
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("host name " + name + " does not resolve: add '127.0.0.1 " + name
                    + "' to /etc/hosts (.ci/run adds every name the S3-compatible storage tests use)", e);
        }
    }

    /** {@code http://<virtual host>:<port>} for a virtual-hosted instance; else {@link #endpoint()}. */
    public URI hostEndpoint() {
        return hostEndpoint;
    }

    /** The instance shared by every test in this JVM, started on first use and stopped at JVM exit. */
    public static synchronized S3ProxyServer shared() {
        if (shared == null) {
            shared = jvmWide(SHARED, null);
        }
        return shared;
    }

    /** How many S3Proxy processes {@link #shared()} started in this JVM: 1 once it was used, whatever the class loaders. */
    public static int sharedStarts() {
        return JvmWide.starts(SHARED);
    }

    /** The S3Proxy process's id; the same for every view of a shared instance. */
    public long pid() {
        return process.pid();
    }

    /** The folder of the server's configuration, log and data. */
    Path workDir() {
        return workDir;
    }

    /** Starts a private instance; the caller closes it. */
    public static S3ProxyServer start() {
        return start(null);
    }

    /**
     * Starts a private instance on another of S3Proxy's local backends ({@code jclouds.provider}: {@code filesystem},
     * the default, or {@code transient}, which keeps objects in memory, so {@link #putDirectly} cannot seed it); the
     * caller closes it. For the listing benchmark, which compares the two.
     */
    public static S3ProxyServer startWithBackend(String provider) {
        return start(null, provider);
    }

    /** @param virtualHost {@code s3proxy.virtual-host}: buckets are also served as {@code <bucket>.<virtualHost>}; null: none */
    private static S3ProxyServer start(String virtualHost) {
        return start(virtualHost, "filesystem");
    }

    private static S3ProxyServer start(String virtualHost, String provider) {
        Path jar = locateJar();
        try {
            Path workDir = Files.createTempDirectory("s3proxy-");
            Path data = Files.createDirectories(workDir.resolve("data"));
            int port = freeLoopbackPort();
            URI endpoint = URI.create("http://127.0.0.1:" + port);
            Path properties = workDir.resolve("s3proxy.properties");
            Files.writeString(properties, String.join("\n",
                    "s3proxy.endpoint=" + endpoint,
                    "s3proxy.authorization=aws-v4",
                    "s3proxy.identity=" + ACCESS_KEY,
                    "s3proxy.credential=" + SECRET_KEY,
                    "jclouds.provider=" + provider,
                    "jclouds.filesystem.basedir=" + data,
                    // jclouds' own identity is unused by the filesystem provider but must be present.
                    "jclouds.identity=" + ACCESS_KEY,
                    "jclouds.credential=" + SECRET_KEY,
                    virtualHost == null ? "" : "s3proxy.virtual-host=" + virtualHost,
                    ""), StandardCharsets.UTF_8);
            Path log = workDir.resolve("s3proxy.log");
            ProcessBuilder builder = new ProcessBuilder(List.of(javaExecutable(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
                    "-jar", jar.toString(), "--properties", properties.toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().put("LOG_LEVEL", "warn");
            // S3Proxy's filesystem backend maps keys to file names, so its JVM must decode names as UTF-8
            // whatever locale the build runs under (LC_ALL overrides LANG, so set both).
            builder.environment().put("LANG", "C.UTF-8");
            builder.environment().put("LC_ALL", "C.UTF-8");
            Process process = builder.start();
            Process watchdog = ServerWatchdog.startAndAwait(process, List.of(workDir), () -> awaitReady(process, endpoint, log));
            S3ProxyServer server = new S3ProxyServer(process.toHandle(), workDir, endpoint, virtualHost);
            server.watchdog = watchdog;
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start S3Proxy from " + jar, e);
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    public String accessKey() {
        return ACCESS_KEY;
    }

    public String secretKey() {
        return SECRET_KEY;
    }

    public String region() {
        return REGION;
    }

    /** A client signed with the test credentials; owned by this server, do not close it. */
    public S3Client client() {
        return client;
    }

    /** Settings as the daemon would pass them for a custom endpoint (S3_USE_AWS=false, path style). */
    public S3Settings settings(String bucket) {
        return new S3Settings(endpoint.toString(), true, false, ACCESS_KEY, SECRET_KEY, REGION, bucket);
    }

    public String createBucket(String name) {
        client.createBucket(b -> b.bucket(name));
        return name;
    }

    /**
     * Writes an object straight into the filesystem backend (one file per key under the bucket's folder),
     * which S3Proxy lists like any other object. About 100 times faster than a PUT; for tests that need
     * thousands of keys. ETag and content type are then computed by S3Proxy, not stored.
     */
    public void putDirectly(String bucket, String key, byte[] content) {
        Path file = dataDir.resolve(bucket).resolve(key);
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A client for this server with arbitrary credentials (e.g. wrong ones); the caller closes it. */
    public static S3Client newClient(URI endpoint, String accessKey, String secretKey) {
        return S3Client.builder()
                .endpointOverride(endpoint)
                .forcePathStyle(true)
                .region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .httpClient(UrlConnectionHttpClient.create())
                // S3Proxy does not need the SDK's default CRC trailers on uploads; keep requests plain.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .build();
    }

    /** A loopback port nothing listens on at the moment of the call (for "unreachable endpoint" tests). */
    public static int freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() {
        client.close();
        process.destroy();
        try {
            process.onExit().get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            process.destroyForcibly();
            process.onExit().completeOnTimeout(null, 10, TimeUnit.SECONDS).join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteRecursively(workDir);
        ServerWatchdog.release(watchdog);
    }

    private static void awaitReady(Process process, URI endpoint, Path log) throws IOException {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("S3Proxy exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            if (answers(endpoint)) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("S3Proxy did not answer at " + endpoint + " within " + STARTUP_TIMEOUT
                + ":\n" + Files.readString(log));
    }

    /** Any HTTP status (an anonymous request gets 403) means Jetty is up and S3Proxy is serving. */
    private static boolean answers(URI endpoint) {
        try {
            HttpURLConnection connection = (HttpURLConnection) endpoint.toURL().openConnection();
            connection.setConnectTimeout(500);
            connection.setReadTimeout(1000);
            try {
                return connection.getResponseCode() > 0;
            } finally {
                connection.disconnect();
            }
        } catch (IOException e) {
            return false;
        }
    }

    private static Path locateJar() {
        String configured = System.getProperty("s3proxy.jar");
        Path jar = configured != null && !configured.isBlank() ? Paths.get(configured) : Paths.get("target/s3proxy/s3proxy.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("S3Proxy jar not found at " + jar.toAbsolutePath()
                    + "; run the build through Maven (generate-test-resources copies it) or set -Ds3proxy.jar");
        }
        return jar;
    }

    private static String javaExecutable() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
