package dify.reconciler.catalog;

import java.util.Objects;

/**
 * One inconsistency. It names what it is about: a row ({@code table} + {@code id}) and/or a storage
 * {@code key}; the plugin identifier, plugin id and tenant where known; {@code bytes} concerned (orphaned
 * objects); and a short {@code detail} saying what was expected and what was found.
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
        String detail) {

    public Finding {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(detail, "detail");
    }

    public Severity severity() {
        return kind.severity();
    }

    /** A finding about a database row. */
    public static Finding row(FindingKind kind, String table, String id, String uid, String pluginId, String tenantId,
            String detail) {
        return new Finding(kind, table, id, null, uid, pluginId, tenantId, null, detail);
    }

    /** A finding about a storage object. */
    public static Finding object(FindingKind kind, String key, String uid, Long bytes, String detail) {
        return new Finding(kind, null, null, key, uid, uid == null ? null : PluginIdentifier.pluginIdOf(uid), null,
                bytes, detail);
    }
}
