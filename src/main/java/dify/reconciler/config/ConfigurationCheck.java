package dify.reconciler.config;

import dify.reconciler.inventory.storage.InventoryLocation;
import dify.reconciler.inventory.storage.ObjectStorage;
import io.quarkus.runtime.Startup;
import io.quarkus.runtime.configuration.DurationConverter;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Locale;
import org.jboss.logging.Logger;

/**
 * Validates the whole configuration at start-up, so a wrong or missing setting stops the process with a
 * message that names it (the one-shot command then exits 2) instead of surfacing later as an obscure
 * injection error. It connects to nothing: an unreachable database or bucket is a scan failure, not a
 * configuration error. The remediation settings are checked the same way by {@code RemediationSettingsCheck}.
 */
@Startup
@ApplicationScoped
public class ConfigurationCheck {

    private static final Logger LOG = Logger.getLogger(ConfigurationCheck.class);

    @Inject
    DaemonSettings daemon;

    @Inject
    ReconcilerConfig config;

    @Inject
    ObjectStorage storage;

    private volatile boolean passed;

    @PostConstruct
    void check() {
        if (config.gracePeriod().isNegative()) {
            throw new IllegalArgumentException("reconciler.grace-period must not be negative: " + config.gracePeriod());
        }
        intervalOrNull(config.interval());
        if (config.fetchSize() < 1 || config.maxFindingsPerReport() < 1 || config.runHistorySize() < 1) {
            throw new IllegalArgumentException(
                    "reconciler.fetch-size, reconciler.max-findings-per-report and reconciler.run-history-size must be positive");
        }
        if (config.storage().listing() == ReconcilerConfig.Listing.INVENTORY) {
            checkInventoryListing();
        }
        LOG.infof("configuration: database %s, storage %s, layout %s, grace period %s, interval %s, deep verify %s",
                daemon.databaseDescription(), storage.describe(), daemon.layout(), config.gracePeriod(),
                config.interval(), config.deepVerify());
        passed = true;
    }

    private void checkInventoryListing() {
        // Each provider's reports, read with the daemon's own endpoint and credentials: the location's scheme must be the
        // storage type's.
        String scheme = switch (daemon.storageType()) {
            case S3 -> "s3";
            case AZURE_BLOB -> "azure";
            case GCS -> "gs";
            default -> throw new IllegalArgumentException("reconciler.storage.listing=inventory reads Amazon S3 Inventory, Azure"
                    + " Blob inventory and GCS Storage Insights reports: it needs PLUGIN_STORAGE_TYPE=aws_s3, azure_blob or gcs,"
                    + " not " + daemon.storageType().label() + " (docs/inventory-reports.md)");
        };
        InventoryLocation location = InventoryLocation.parse(config.storage().inventoryLocation().orElseThrow(
                () -> new IllegalArgumentException("reconciler.storage.listing=inventory needs"
                        + " reconciler.storage.inventory-location (s3://…, azure://… or gs://…, as the storage type)")));
        if (!location.scheme().equals(scheme)) {
            throw new IllegalArgumentException("reconciler.storage.inventory-location='" + location + "' is a " + location.scheme()
                    + ":// location, and PLUGIN_STORAGE_TYPE=" + daemon.storageType().label() + " reads " + scheme
                    + ":// reports only (docs/inventory-reports.md)");
        }
        if (config.storage().inventoryMaxAge().isNegative() || config.storage().inventoryMaxAge().isZero()
                || config.storage().inventoryConfirmMax() < 0) {
            throw new IllegalArgumentException("reconciler.storage.inventory-max-age must be positive and"
                    + " reconciler.storage.inventory-confirm-max not negative");
        }
    }

    /** True once the configuration has been read and found usable. */
    public boolean passed() {
        return passed;
    }

    /** The scan interval, or null when scheduled scans are off; parsed as Quarkus' scheduler parses it. */
    public static Duration intervalOrNull(String interval) {
        String v = interval == null ? "" : interval.trim().toLowerCase(Locale.ROOT);
        if (v.equals("off") || v.equals("disabled")) {
            return null;
        }
        Duration d;
        try {
            d = DurationConverter.parseDuration(v);
        } catch (RuntimeException e) {
            // The parser's own words go along as the cause; the message still names the setting.
            throw notAPositiveInterval(interval, e);
        }
        if (d == null || d.isZero() || d.isNegative()) {
            throw notAPositiveInterval(interval, null);
        }
        return d;
    }

    private static IllegalArgumentException notAPositiveInterval(String interval, RuntimeException cause) {
        return new IllegalArgumentException("reconciler.interval='" + interval
                + "' is not a positive duration like 30s, 10m, 1h, or 'off'", cause);
    }
}
