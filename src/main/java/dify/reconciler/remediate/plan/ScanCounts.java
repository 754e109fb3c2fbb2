package dify.reconciler.remediate.plan;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.inventory.postgres.DaemonSchema;
import java.util.Map;

/**
 * What the scan counted, as the remedies' populations read it: rows per daemon table and objects listed per prefix.
 *
 * @param rows   rows per table (the report's {@code rowsScanned})
 * @param listed objects per listed prefix label (the report's {@code objectsListed})
 */
public record ScanCounts(Map<String, Long> rows, Map<String, Long> listed, StorageLayout layout) {

    public ScanCounts {
        rows = Map.copyOf(rows);
        listed = Map.copyOf(listed);
    }

    public long rowsOf(String table) {
        return rows.getOrDefault(table, 0L);
    }

    public long categoryRows() {
        return DaemonSchema.CATEGORY_TABLES.stream().mapToLong(this::rowsOf).sum();
    }

    public long installedObjects() {
        return listedUnder(layout.installed());
    }

    public long packages() {
        return listedUnder(layout.packages());
    }

    public long assets() {
        return listedUnder(layout.assets());
    }

    private long listedUnder(String prefix) {
        return listed.getOrDefault(StorageLayout.label(prefix), 0L);
    }
}
