package dify.reconciler.inventory.postgres;

import java.util.Properties;

/**
 * Where Dify's own (API) database is and how to log in to it, as {@link DifyTenantsReader} needs it; {@code
 * config.DifyDatabaseSettings} implements it from the settings (an interface here so inventory does not depend on
 * config, which depends on inventory's storage).
 */
public interface DifyDatabase {

    /** JDBC URL, without credentials. */
    String url();

    /** The driver properties of a connection, credentials included (never log these). */
    Properties connectionProperties();

    /** The target as messages name it, never with the password. */
    String description();

    /** The settings that chose the target, named in every message about it. */
    String settings();
}
