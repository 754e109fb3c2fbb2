package dify.reconciler.testsupport;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/** One fresh database on an {@link EmbeddedPostgres} server. {@link #close()} drops it. */
public final class TestDatabase implements AutoCloseable {

    private final EmbeddedPostgres server;
    private final String name;
    private final PGSimpleDataSource dataSource;

    TestDatabase(EmbeddedPostgres server, String name) {
        this.server = server;
        this.name = name;
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {server.host()});
        ds.setPortNumbers(new int[] {server.port()});
        ds.setDatabaseName(name);
        ds.setUser(server.username());
        ds.setPassword(server.password());
        this.dataSource = ds;
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

    public String username() {
        return server.username();
    }

    public String password() {
        return server.password();
    }

    /** {@code jdbc:postgresql://localhost:<port>/<name>} (no credentials in the URL). */
    public String jdbcUrl() {
        return server.jdbcUrl(name);
    }

    /** An unpooled data source (a new physical connection per {@code getConnection()}). */
    public DataSource dataSource() {
        return dataSource;
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
