package dify.reconciler.catalog;

import java.util.Objects;

/**
 * One inconsistency. It names what it is about: a row ({@code table} + {@code id}) and/or a storage
 * {@code key}; the plugin identifier, plugin id and tenant where known; {@code bytes} concerned (orphaned
 * objects); a short {@code detail} saying what was expected and what was found; and the {@code observed}
 * version of its subject (the row when it names one, else the object), null only where no single row or
 * object was seen (a group of duplicate rows).
 */
public record Finding(
        FindingKind kind,
        String table,
        String id,
        String key,
        String pluginUniqueIdentifier,
        String pluginId,
        String tenantId,
        Long bytes,
        String detail,
        ObservedVersion observed) {

    public Finding {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(detail, "detail");
    }

    public Severity severity() {
        return kind.severity();
    }

    /** A finding about a database row. */
    public static Finding row(FindingKind kind, String table, String id, String uid, String pluginId, String tenantId,
            ObservedVersion observed, String detail) {
        return new Finding(kind, table, id, null, uid, pluginId, tenantId, null, detail, observed);
    }

    /** A finding about a storage object; the bytes concerned are its size. */
    public static Finding object(FindingKind kind, String key, String uid, ObservedVersion observed, String detail) {
        return new Finding(kind, null, null, key, uid, uid == null ? null : PluginIdentifier.pluginIdOf(uid), null,
                observed.size(), detail, observed);
    }
}
