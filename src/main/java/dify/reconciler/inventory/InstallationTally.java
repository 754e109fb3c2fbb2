package dify.reconciler.inventory;

/**
 * Installations grouped by identifier (computed in PostgreSQL, so memory grows with distinct identifiers,
 * not with installations).
 *
 * @param uid    the identifier, null for rows whose identifier is NULL
 * @param total  installations with this identifier (the legacy global tenant's included: the daemon counted
 *               them in {@code refers} like any other)
 * @param remote of which with {@code runtime_type = 'remote'}
 * @param young  of which changed inside the grace period
 * @param global of which of the legacy global tenant ({@link dify.reconciler.catalog.GlobalTenant})
 */
public record InstallationTally(String uid, long total, long remote, long young, long global) {

    /** A tally without rows of the legacy global tenant. */
    public InstallationTally(String uid, long total, long remote, long young) {
        this(uid, total, remote, young, 0);
    }

    /** True when every installation of the identifier is the legacy global tenant's: no workspace uses it. */
    public boolean onlyGlobal() {
        return global > 0 && global == total;
    }
}
