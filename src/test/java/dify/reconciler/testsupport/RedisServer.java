package dify.reconciler.testsupport;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code redis-server} for tests (the Debian package {@code redis-server}; {@code .ci/run} installs it):
 * started on 127.0.0.1 on a free port with a password, no persistence, in a temp folder. A missing binary
 * fails the test, it never skips it. {@link #stop()} and {@link #start()} let a test take Redis away and bring
 * it back on the same port.
 */
public final class RedisServer implements AutoCloseable {

    public static final String PASSWORD = "reconciler-redis-test-pw";
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(20);

    private final Path binary;
    private final Path dir;
    private final int port;
    /** What {@code requirepass} demands (a Sentinel: its own password, also in its configuration file). */
    private final String password;
    /** Null for a plain server; a Sentinel's configuration file (Sentinel rewrites it, so it lives in {@link #dir}). */
    private final Path sentinelConfig;
    private Process process;

    private RedisServer(Path binary, Path dir, int port, String password, Path sentinelConfig) {
        this.binary = binary;
        this.dir = dir;
        this.port = port;
        this.password = password;
        this.sentinelConfig = sentinelConfig;
    }

    /** Starts a new server with {@link #PASSWORD}; fails when {@code redis-server} is not installed. */
    public static RedisServer started() {
        return started(PASSWORD);
    }

    /** Starts a new server that requires {@code password}; fails when {@code redis-server} is not installed. */
    public static RedisServer started(String password) {
        Path binary = binary();
        try {
            RedisServer s = new RedisServer(binary, Files.createTempDirectory("reconciler-redis-"), freePort(), password, null);
            s.start();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts a Sentinel ({@code redis-server --sentinel}) that monitors {@code master} as {@code masterName}
     * (quorum 1), authenticates to it with the master's password and requires {@code sentinelPassword} itself.
     */
    public static RedisServer sentinelFor(RedisServer master, String masterName, String sentinelPassword) {
        Path binary = binary();
        try {
            Path dir = Files.createTempDirectory("reconciler-sentinel-");
            int port = freePort();
            Path config = dir.resolve("sentinel.conf");
            Files.writeString(config, String.join("\n", "port " + port, "bind 127.0.0.1", "dir " + dir,
                    "requirepass " + sentinelPassword, "sentinel monitor " + masterName + " " + master.host() + " " + master.port() + " 1",
                    "sentinel auth-pass " + masterName + " " + master.password, "") + "\n");
            RedisServer s = new RedisServer(binary, dir, port, sentinelPassword, config);
            s.start();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
    }

    /** (Re)starts the server on its port; returns when it answers. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        try {
            List<String> command = sentinelConfig != null
                    ? List.of(binary.toString(), sentinelConfig.toString(), "--sentinel")
                    : List.of(binary.toString(), "--port", String.valueOf(port), "--bind", "127.0.0.1", "--requirepass", password,
                            "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no", "--databases", "16");
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + binary, e);
        }
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited: " + log());
            }
            try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), port)) {
                if (probe.isConnected()) {
                    return;
                }
            } catch (IOException notYet) {
                sleep(50);
            }
        }
        throw new IllegalStateException("redis-server did not listen on port " + port + " within " + STARTUP_TIMEOUT + ": " + log());
    }

    /** Stops the server (its data is gone: nothing is persisted). */
    public synchronized void stop() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /** Runs {@code work} with a connection to database {@code db}, authenticated with the server's password. */
    public <T> T withClient(int db, java.util.function.Function<RedisCommands<String, String>, T> work) {
        // Built, not parsed from a redis:// URI: a password may hold characters a URI would have to escape.
        RedisClient client = RedisClient.create(RedisURI.builder().withHost(host()).withPort(port).withDatabase(db)
                .withPassword(password.toCharArray()).build());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            return work.apply(c.sync());
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @Override
    public void close() {
        stop();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp folder left behind is harmless
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("redis.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static Path binary() {
        for (String dir : List.of(System.getenv().getOrDefault("PATH", "").split(":"))) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "redis-server"))) {
                return Path.of(dir, "redis-server");
            }
        }
        for (String p : List.of("/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server")) {
            if (Files.isExecutable(Path.of(p))) {
                return Path.of(p);
            }
        }
        throw new IllegalStateException("redis-server is not installed: install the Debian package redis-server"
                + " (apt-get install redis-server; .ci/run does) to run the cache tests");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
