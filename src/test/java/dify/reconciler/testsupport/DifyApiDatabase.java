package dify.reconciler.testsupport;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.UUID;

/**
 * Dify's own (API) database beside the daemon's, as in Dify's compose file and charts: on the same server, holding
 * {@code tenants} as the API's migrations create it (models/account.py, Tenant). Owned by the daemon's user, so the
 * reader role may SELECT it through the server's default privileges, like every test database.
 */
public final class DifyApiDatabase {

    /** Dify's {@code tenants}, column for column. */
    public static final String TENANTS_DDL = """
            CREATE TABLE tenants (
                id uuid DEFAULT gen_random_uuid() NOT NULL,
                name character varying(255) NOT NULL,
                encrypt_public_key text,
                plan character varying(255) DEFAULT 'basic'::character varying NOT NULL,
                status character varying(255) DEFAULT 'normal'::character varying NOT NULL,
                created_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP(0) NOT NULL,
                updated_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP(0) NOT NULL,
                custom_config text,
                CONSTRAINT tenant_pkey PRIMARY KEY (id)
            )""";

    private DifyApiDatabase() {
    }

    /** A new database on {@code server} whose {@code tenants} holds exactly {@code workspaces}. */
    public static TestDatabase create(EmbeddedPostgres server, Collection<UUID> workspaces) throws SQLException {
        TestDatabase dify = server.createDatabase();
        try (Connection c = dify.connect(); Statement st = c.createStatement()) {
            st.execute(TENANTS_DDL);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO tenants (id, name) VALUES (?, ?)")) {
                for (UUID id : workspaces) {
                    ps.setObject(1, id);
                    ps.setString(2, "workspace " + id);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        } catch (SQLException | RuntimeException e) {
            dify.close();
            throw e;
        }
        return dify;
    }
}
