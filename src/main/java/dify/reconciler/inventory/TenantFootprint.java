package dify.reconciler.inventory;

import java.time.Instant;
import java.util.List;

/**
 * What the daemon keeps for one workspace (tenant), aggregated in PostgreSQL: rows per table outside the grace
 * period, rows inside it, and which plugins. The tenant id is in canonical uuid text (lower case) when it has the
 * uuid shape; {@code endpoints} and {@code tenant_storages} keep it as text, so it may be anything there.
 *
 * @param pluginIds up to {@code PLUGIN_IDS_SHOWN} plugin ids of the old rows, in byte order
 * @param pluginCount how many distinct plugin ids the old rows name
 * @param lastChanged the latest change among the old rows (null when none of them has a timestamp)
 */
public record TenantFootprint(String tenantId, long installations, long categoryRows, long endpoints, long tenantStorages,
        long rowsInGrace, List<String> pluginIds, long pluginCount, Instant lastChanged) {

    /** How many plugin ids a footprint carries for the report; the count stays exact. */
    public static final int PLUGIN_IDS_SHOWN = 10;

    /** Rows outside the grace period. */
    public long oldRows() {
        return installations + categoryRows + endpoints + tenantStorages;
    }
}
