package dify.reconciler.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * OpenStack Swift (Debian's {@code swift-proxy}, {@code swift-account}, {@code swift-container}, {@code swift-object}
 * and {@code memcached} packages) with its {@code s3api} middleware, as one node with one replica under a temp folder,
 * for the listing benchmark: unlike S3Proxy's local backends, Swift answers a ListObjectsV2 page with one indexed range
 * query on the container's SQLite database ({@code name > marker AND name < end-of-prefix ORDER BY name LIMIT n}), so
 * a page costs the same whatever the bucket holds, as on S3. Each server runs in one process ({@code workers = 0}).
 *
 * <p>Objects for a listing are written as rows of the container database ({@link #seedListing}), not PUT: a listing
 * reads only those rows, and a PUT through Swift costs tens of milliseconds, hours for millions of objects.
 */
final class SwiftS3Server implements AutoCloseable {

    static final String ACCESS_KEY = "bench:lister";
    static final String SECRET_KEY = "bench-lister-secret";
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(120);
    private static final String[] STORAGE_SERVERS = {"account", "container", "object"};

    private final Path workDir;
    private final List<Process> processes = new ArrayList<>();
    private final URI endpoint;

    private SwiftS3Server(Path workDir, URI endpoint) {
        this.workDir = workDir;
        this.endpoint = endpoint;
    }

    static SwiftS3Server start() throws IOException, InterruptedException {
        for (String command : List.of("/usr/bin/swift-proxy-server", "/usr/bin/swift-ring-builder", "/usr/bin/memcached")) {
            if (!Files.isExecutable(Path.of(command))) {
                throw new IllegalStateException(command + " is missing: apt-get install swift-proxy swift-account "
                        + "swift-container swift-object memcached");
            }
        }
        Path work = Files.createTempDirectory("swift-bench-");
        Path etc = Files.createDirectories(work.resolve("etc"));
        Files.createDirectories(work.resolve("srv/d1"));
        int proxyPort = freePort();
        SwiftS3Server swift = new SwiftS3Server(work, URI.create("http://127.0.0.1:" + proxyPort));
        try {
            Files.writeString(etc.resolve("swift.conf"), """
                    [swift-hash]
                    swift_hash_path_suffix = listing-bench
                    swift_hash_path_prefix = listing-bench
                    [storage-policy:0]
                    name = only
                    default = yes
                    """);
            int memcachedPort = freePort();
            swift.launch("memcached", List.of("/usr/bin/memcached", "-u", "root", "-l", "127.0.0.1", "-p",
                    Integer.toString(memcachedPort), "-m", "32"));
            for (String server : STORAGE_SERVERS) {
                int port = freePort();
                Files.writeString(etc.resolve(server + "-server.conf"), common(work, port) + """
                        [pipeline:main]
                        pipeline = %1$s-server
                        [app:%1$s-server]
                        use = egg:swift#%1$s
                        """.formatted(server));
                Path builder = etc.resolve(server + ".builder");
                run(List.of("/usr/bin/swift-ring-builder", builder.toString(), "create", "6", "1", "1"));
                run(List.of("/usr/bin/swift-ring-builder", builder.toString(), "add", "r1z1-127.0.0.1:" + port + "/d1", "1"));
                run(List.of("/usr/bin/swift-ring-builder", builder.toString(), "rebalance"));
                swift.launch(server, List.of("/usr/bin/swift-" + server + "-server", etc.resolve(server + "-server.conf").toString(),
                        "-v"));
            }
            Files.writeString(etc.resolve("proxy-server.conf"), common(work, proxyPort) + """
                    [pipeline:main]
                    pipeline = catch_errors proxy-logging cache s3api tempauth proxy-logging proxy-server
                    [app:proxy-server]
                    use = egg:swift#proxy
                    account_autocreate = true
                    [filter:tempauth]
                    use = egg:swift#tempauth
                    user_bench_lister = %s .admin
                    [filter:s3api]
                    use = egg:swift#s3api
                    [filter:cache]
                    use = egg:swift#memcache
                    memcache_servers = 127.0.0.1:%d
                    [filter:catch_errors]
                    use = egg:swift#catch_errors
                    [filter:proxy-logging]
                    use = egg:swift#proxy_logging
                    """.formatted(SECRET_KEY, memcachedPort));
            swift.launch("proxy", List.of("/usr/bin/swift-proxy-server", etc.resolve("proxy-server.conf").toString(), "-v"));
            swift.awaitReady();
            return swift;
        } catch (IOException | InterruptedException | RuntimeException e) {
            swift.close();
            throw e;
        }
    }

    private static String common(Path work, int port) {
        return """
                [DEFAULT]
                bind_ip = 127.0.0.1
                bind_port = %d
                devices = %s
                mount_check = false
                swift_dir = %s
                workers = 0
                log_level = WARNING
                """.formatted(port, work.resolve("srv"), work.resolve("etc"));
    }

    URI endpoint() {
        return endpoint;
    }

    /**
     * Writes the keys {@code generator} hands its consumer (1-byte objects, in any order) as rows of the bucket's
     * container database, in one transaction, streamed to Python's sqlite3 with Swift's {@code chexor} (Swift's own
     * schema and triggers keep the container's counts and hash), so no list of millions of keys is held here.
     */
    void seedListing(Consumer<Consumer<String>> generator) throws IOException, InterruptedException {
        Path db;
        try (Stream<Path> files = Files.walk(workDir.resolve("srv/d1/containers"))) {
            List<Path> dbs = files.filter(p -> p.toString().endsWith(".db")).toList();
            if (dbs.size() != 1) {
                throw new IllegalStateException("expected the one bucket's container database, found " + dbs);
            }
            db = dbs.get(0);
        }
        String script = """
                import sqlite3, sys, time
                from swift.common.db import chexor
                db = sqlite3.connect(sys.argv[1])
                db.create_function('chexor', 3, chexor)  # the container's triggers hash every row with it
                ts = '%016.05f' % time.time()
                rows = ((line.rstrip('\\n'), ts, 1, 'application/octet-stream', '9dd4e461268c8034f5c8564e155c67a6', 0, 0)
                        for line in sys.stdin)
                db.executemany('INSERT INTO object (name, created_at, size, content_type, etag, deleted,'
                               ' storage_policy_index) VALUES (?, ?, ?, ?, ?, ?, ?)', rows)
                db.commit()
                """;
        Process python = new ProcessBuilder(List.of("/usr/bin/python3", "-c", script, db.toString()))
                .redirectErrorStream(true).redirectOutput(workDir.resolve("seed.log").toFile()).start();
        UncheckedIOException writeFailure = null;
        try (BufferedWriter in = new BufferedWriter(new OutputStreamWriter(python.getOutputStream(), StandardCharsets.UTF_8))) {
            generator.accept(key -> {
                try {
                    in.write(key);
                    in.write('\n');
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            writeFailure = e; // Python stopped reading: its exit status and log say why
        }
        if (python.waitFor() != 0 || writeFailure != null) {
            throw new IllegalStateException("seeding the container database failed:\n" + Files.readString(workDir.resolve("seed.log")));
        }
    }

    private void launch(String name, List<String> command) throws IOException {
        processes.add(new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(workDir.resolve(name + ".log").toFile()).start());
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + p.exitValue());
        }
    }

    /** The proxy answers /info once it serves requests. */
    private void awaitReady() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            for (Process p : processes) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("a Swift process exited; logs in " + workDir);
                }
            }
            try {
                HttpURLConnection c = (HttpURLConnection) endpoint.resolve("/info").toURL().openConnection();
                c.setConnectTimeout(500);
                if (c.getResponseCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("Swift did not answer at " + endpoint + " within " + STARTUP_TIMEOUT + "; logs in " + workDir);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (Stream<Path> paths = Files.walk(workDir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp folder left behind is harmless
        }
    }
}
