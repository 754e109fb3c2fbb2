package dify.reconciler.inventory.postgres;

/**
 * Dify's {@code tenants} cannot be read at all (unreachable database, refused login, missing table or grant, a
 * column type we do not know): the tenant check does not run, and the report says so and why. Never "no tenant
 * missing". The message names the setting to fix and never carries a password.
 */
public class DifyTenantsUnavailableException extends Exception {
    private static final long serialVersionUID = 1L;

    public DifyTenantsUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
