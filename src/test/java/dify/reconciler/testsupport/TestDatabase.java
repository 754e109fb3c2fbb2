package dify.reconciler.testsupport;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * One fresh database on an {@link EmbeddedPostgres} server. {@link #close()} drops it. Two users: the
 * daemon's ({@link #dataSource()}, {@link #connect()}: owner of the tables, for fixtures and for acting as
 * the daemon) and the reconciler's read-only one ({@link #username()}, {@link #password()},
 * {@link #readerDataSource()}: what a scan uses).
 */
public final class TestDatabase implements AutoCloseable {

    private final EmbeddedPostgres server;
    private final String name;
    private final PGSimpleDataSource dataSource;
    private final PGSimpleDataSource readerDataSource;
    private final ReusedConnections fixtureConnections;

    TestDatabase(EmbeddedPostgres server, String name) {
        this.server = server;
        this.name = name;
        this.dataSource = dataSource(server, name, EmbeddedPostgres.DAEMON_USER, EmbeddedPostgres.DAEMON_PASSWORD);
        this.readerDataSource = dataSource(server, name, EmbeddedPostgres.READER_USER, EmbeddedPostgres.READER_PASSWORD);
        this.fixtureConnections = new ReusedConnections(dataSource);
    }

    private static PGSimpleDataSource dataSource(EmbeddedPostgres server, String database, String user, String password) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {server.host()});
        ds.setPortNumbers(new int[] {server.port()});
        ds.setDatabaseName(database);
        ds.setUser(user);
        ds.setPassword(password);
        return ds;
    }

    public EmbeddedPostgres server() {
        return server;
    }

    public String host() {
        return server.host();
    }

    public int port() {
        return server.port();
    }

    /** Database name (as the daemon's {@code DB_DATABASE}). */
    public String name() {
        return name;
    }

    /** The reconciler's read-only user (SELECT on the daemon's tables, nothing else). */
    public String username() {
        return EmbeddedPostgres.READER_USER;
    }

    public String password() {
        return EmbeddedPostgres.READER_PASSWORD;
    }

    /** {@code jdbc:postgresql://localhost:<port>/<name>} (no credentials in the URL). */
    public String jdbcUrl() {
        return server.jdbcUrl(name);
    }

    /** As the daemon's user, who owns the tables; unpooled (a new physical connection per {@code getConnection()}). */
    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * As the daemon's user, with a few connections kept open between statements: for fixture helpers that run one
     * statement per connection ({@link DaemonRows#on}). A connection given back is reset as if closed.
     */
    public DataSource fixtureDataSource() {
        return fixtureConnections;
    }

    /** As the reconciler's read-only user; unpooled. */
    public DataSource readerDataSource() {
        return readerDataSource;
    }

    public Connection connect() throws SQLException {
        return dataSource.getConnection();
    }

    /** Drops the database (no-op if the server is not running). */
    @Override
    public void close() {
        fixtureConnections.close();
        if (server.isRunning()) {
            server.dropDatabase(name);
        }
    }

    @Override
    public String toString() {
        return "TestDatabase[" + jdbcUrl() + "]";
    }

    /**
     * The environment of a reconciler connecting as the daemon's own user (as a sidecar sharing the daemon's
     * Secret does: it may create our schema, so state is persisted) and reading {@code localRoot} as {@code local}
     * storage, with no grace period. Mutable: tests add their own settings.
     */
    /**
     * As {@link #ownerEnvironment(Path)}, reading {@code bucket} of S3Proxy with the daemon's {@code S3_*} and
     * {@code AWS_*} variables (path style, static keys).
     */
    public Map<String, String> ownerS3Environment(S3ProxyServer s3, String bucket) {
        Map<String, String> env = ownerEnvironment(Path.of("unused"));
        env.remove("PLUGIN_STORAGE_LOCAL_ROOT");
        env.put("PLUGIN_STORAGE_TYPE", "aws_s3");
        env.put("PLUGIN_STORAGE_OSS_BUCKET", bucket);
        env.put("S3_ENDPOINT", s3.endpoint().toString());
        env.put("S3_USE_AWS", "false");
        env.put("S3_USE_PATH_STYLE", "true");
        env.put("AWS_ACCESS_KEY", s3.accessKey());
        env.put("AWS_SECRET_KEY", s3.secretKey());
        env.put("AWS_REGION", s3.region());
        return env;
    }

    public Map<String, String> ownerEnvironment(Path localRoot) {
        Map<String, String> env = new HashMap<>();
        env.put("DB_HOST", host());
        env.put("DB_PORT", Integer.toString(port()));
        env.put("DB_USERNAME", EmbeddedPostgres.DAEMON_USER);
        env.put("DB_PASSWORD", EmbeddedPostgres.DAEMON_PASSWORD);
        env.put("DB_DATABASE", name);
        env.put("PLUGIN_STORAGE_TYPE", "local");
        env.put("PLUGIN_STORAGE_LOCAL_ROOT", localRoot.toString());
        env.put("RECONCILER_GRACE_PERIOD", "0s");
        return env;
    }
}
