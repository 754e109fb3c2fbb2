package dify.reconciler.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** The daemon's table layouts as SQL scripts under {@code src/test/resources/schema/}. */
public enum SchemaFixture {

    /** Fresh database migrated by daemon 0.6.10 (unique indexes, no id defaults). */
    CURRENT("schema/current.sql", List.of(
            "plugins", "plugin_installations", "plugin_declarations", "endpoints", "serverless_runtimes",
            "datasource_installations", "tool_installations", "ai_model_installations", "install_tasks",
            "tenant_storages", "agent_strategy_installations", "trigger_installations", "plugin_readme_records")),

    /** Old (pre-0.5.x) layout: uuid-ossp defaults, legacy columns, no unique indexes, fewer tables. */
    LEGACY("schema/legacy.sql", List.of(
            "plugins", "plugin_installations", "plugin_declarations", "endpoints", "serverless_runtimes",
            "tool_installations", "ai_model_installations", "install_tasks", "tenant_storages",
            "agent_strategy_installations", "plugin_readmes"));

    private final String resource;
    private final List<String> tables;

    SchemaFixture(String resource, List<String> tables) {
        this.resource = resource;
        this.tables = tables;
    }

    /** Classpath resource name of the script. */
    public String resource() {
        return resource;
    }

    /** The tables the script creates, in creation order. */
    public List<String> tables() {
        return tables;
    }

    /** The script text. */
    public String sql() {
        try (InputStream in = SchemaFixture.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh database with this schema on the shared server (see {@link EmbeddedPostgres#createDatabase(SchemaFixture)}). */
    public TestDatabase newDatabase() {
        return EmbeddedPostgres.shared().createDatabase(this);
    }

    /** Runs the script in one transaction on the given database; returns the database for chaining. */
    public TestDatabase applyTo(TestDatabase db) {
        try (Connection c = db.connect()) {
            applyTo(c);
        } catch (SQLException e) {
            throw new IllegalStateException("applying " + resource + " to " + db.name() + " failed", e);
        }
        return db;
    }

    /** Runs the script in one transaction on the given connection (restores its autocommit mode). */
    public void applyTo(Connection c) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute(sql());
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }
}
