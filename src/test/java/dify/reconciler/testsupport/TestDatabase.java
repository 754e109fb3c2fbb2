package dify.reconciler.testsupport;

import java.sql.Connection;
import java.sql.SQLException;
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

    TestDatabase(EmbeddedPostgres server, String name) {
        this.server = server;
        this.name = name;
        this.dataSource = dataSource(server, name, EmbeddedPostgres.DAEMON_USER, EmbeddedPostgres.DAEMON_PASSWORD);
        this.readerDataSource = dataSource(server, name, EmbeddedPostgres.READER_USER, EmbeddedPostgres.READER_PASSWORD);
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
        if (server.isRunning()) {
            server.dropDatabase(name);
        }
    }

    @Override
    public String toString() {
        return "TestDatabase[" + jdbcUrl() + "]";
    }
}
