package dify.reconciler.inventory;

/**
 * Installations grouped by identifier (computed in PostgreSQL, so memory grows with distinct identifiers,
 * not with installations).
 *
 * @param uid    the identifier, null for rows whose identifier is NULL
 * @param total  installations with this identifier
 * @param remote of which with {@code runtime_type = 'remote'}
 * @param young  of which changed inside the grace period
 */
public record InstallationTally(String uid, long total, long remote, long young) {
}
