package dify.reconciler.testsupport;

import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * A real Azure Blob API server for tests: Azurite's blob service ({@code azurite-blob} from the npm package
 * {@code azurite} 3.35.0, the last version for Node 20), started on 127.0.0.1 on a free port with its data in memory
 * (Azurite refuses a --location with it) and its access log in a temp folder that {@link #close()} deletes. Fails, never skips, when {@code azurite-blob} is not
 * on the PATH ({@code .ci/run} installs it). Uses Azurite's well-known development account {@code devstoreaccount1}.
 *
 * <p>Started once per JVM through {@link #shared()} (about two seconds); tests isolate themselves with their own
 * container ({@link #createContainer(String)}). Once per JVM, not per class loader (each {@code @QuarkusTest}
 * application start loads this class again): the instance is recorded in {@link JvmWide}, and a later class loader's
 * {@code shared()} attaches to the running process.
 */
public final class AzuriteServer implements AutoCloseable {

    public static final String INSTALL = "npm install -g azurite@3.35.0";
    public static final String ACCOUNT = "devstoreaccount1";
    /** Azurite's published development key (not a secret); tests check it never appears in our messages. */
    public static final String ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static AzuriteServer shared;
    /** {@link JvmWide} key of {@link #shared()}. */
    private static final String SHARED = "azurite";

    private final ProcessHandle process;
    private final Path workDir;
    private final Path log;
    private final URI endpoint;
    private final BlobServiceClient client;
    /** Stops the server and deletes its folder if this JVM is killed; null in a view of another class loader's server. */
    private Process watchdog;

    private AzuriteServer(ProcessHandle process, Path workDir, Path log, URI endpoint, SSLContext trust) {
        this.process = process;
        this.workDir = workDir;
        this.log = log;
        this.endpoint = endpoint;
        java.net.http.HttpClient.Builder http = java.net.http.HttpClient.newBuilder();
        if (trust != null) {
            http.sslContext(trust);
        }
        this.client = new BlobServiceClientBuilder().endpoint(endpoint.toString())
                .credential(new StorageSharedKeyCredential(ACCOUNT, ACCOUNT_KEY))
                .httpClient(new JdkHttpClientBuilder(http).build())
                .buildClient();
    }

    /** The instance shared by every test in this JVM, started on first use and stopped at JVM exit. */
    public static synchronized AzuriteServer shared() {
        if (shared == null) {
            shared = JvmWide.shared(SHARED, () -> {
                AzuriteServer started = start();
                return new JvmWide.Started<>(started, started.process, "TERM", List.of(started.workDir),
                        Map.of("work", started.workDir.toString(), "endpoint", started.endpoint.toString()),
                        List.of(started.watchdog));
            }, recorded -> {
                Path workDir = Path.of(recorded.get("work"));
                return new AzuriteServer(recorded.process(), workDir, workDir.resolve("azurite.log"),
                        URI.create(recorded.get("endpoint")), null);
            });
        }
        return shared;
    }

    /** How many Azurite processes {@link #shared()} started in this JVM: 1 once it was used, whatever the class loaders. */
    public static int sharedStarts() {
        return JvmWide.starts(SHARED);
    }

    /** Azurite's process id; the same for every view of the shared instance. */
    public long pid() {
        return process.pid();
    }

    /** The folder of the server's log. */
    Path workDir() {
        return workDir;
    }

    /** Starts a private instance; the caller closes it. */
    public static AzuriteServer start() {
        return start(null, null, null);
    }

    /**
     * Starts a private instance over HTTPS with the certificate and key (PEM) given, accepting Microsoft Entra ID
     * bearer tokens ({@code --oauth basic}: Azurite checks a token's issuer, audience and lifetime, not its
     * signature), the way a managed identity reaches Azure; {@code trust} trusts the certificate (for the
     * development-key client). The caller closes it.
     */
    public static AzuriteServer startWithOAuth(Path certificate, Path key, SSLContext trust) {
        return start(certificate, key, trust);
    }

    private static AzuriteServer start(Path certificate, Path key, SSLContext trust) {
        String executable = locate();
        try {
            Path workDir = Files.createTempDirectory("azurite-");
            Path log = workDir.resolve("azurite.log");
            int port = S3ProxyServer.freeLoopbackPort();
            URI endpoint = URI.create((certificate == null ? "http" : "https") + "://127.0.0.1:" + port + "/" + ACCOUNT);
            List<String> command = new ArrayList<>(List.of(executable, "--blobHost", "127.0.0.1", "--blobPort",
                    String.valueOf(port), "--inMemoryPersistence",
                    // No data leaves this machine; the Java SDK speaks a newer API version than Azurite knows.
                    "--disableTelemetry", "--skipApiVersionCheck"));
            if (certificate != null) {
                command.addAll(List.of("--cert", certificate.toString(), "--key", key.toString(), "--oauth", "basic"));
            }
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Process watchdog = ServerWatchdog.startAndAwait(process, List.of(workDir), () -> awaitReady(process, endpoint, log));
            AzuriteServer server = new AzuriteServer(process.toHandle(), workDir, log, endpoint, trust);
            server.watchdog = watchdog;
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Azurite (" + executable + ")", e);
        }
    }

    /** The blob service URL, account included: {@code http://127.0.0.1:<port>/devstoreaccount1}. */
    public URI endpoint() {
        return endpoint;
    }

    /** Where Azurite's output goes: quoted in failures. */
    public Path log() {
        return log;
    }

    /** The daemon's {@code AZURE_BLOB_STORAGE_CONNECTION_STRING} for this server, with the given key. */
    public String connectionString(String accountKey) {
        return "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + accountKey + ";BlobEndpoint="
                + endpoint + ";";
    }

    public String connectionString() {
        return connectionString(ACCOUNT_KEY);
    }

    /** A client with the development key; owned by this server. */
    public BlobServiceClient client() {
        return client;
    }

    public BlobContainerClient createContainer(String name) {
        try {
            return client.createBlobContainer(name);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot create container '" + name + "' on Azurite (log: " + log + ")", e);
        }
    }

    @Override
    public synchronized void close() {
        process.destroy();
        try {
            process.onExit().get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            process.destroyForcibly();
            process.onExit().completeOnTimeout(null, 10, TimeUnit.SECONDS).join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        S3ProxyServer.deleteRecursively(workDir);
        ServerWatchdog.release(watchdog);
    }

    private static String locate() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "azurite-blob");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IllegalStateException("azurite-blob is not on the PATH: the Azure Blob tests need Azurite; install it with `"
                + INSTALL + "` (Node 20), as .ci/run does");
    }

    private static void awaitReady(Process process, URI endpoint, Path log) throws IOException {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Azurite exited with " + process.exitValue() + " (log " + log + "):\n"
                        + Files.readString(log));
            }
            if (answers(endpoint)) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("Azurite did not answer at " + endpoint + " within " + STARTUP_TIMEOUT + " (log " + log
                + "):\n" + Files.readString(log));
    }

    /**
     * Any HTTP status (an anonymous request is refused) means Azurite is serving; over HTTPS (a certificate the
     * JVM does not trust) an accepted connection does.
     */
    private static boolean answers(URI endpoint) {
        if (endpoint.getScheme().equals("https")) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), 500);
                return true;
            } catch (IOException e) {
                return false;
            }
        }
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
}
