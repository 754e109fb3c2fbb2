package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Listing from an Azure Blob or GCS inventory report on the provider's emulator: a report written as the provider
 * writes one (manifest, CSV files with a header row, rows shuffled, names not encoded) of a bucket holding the daemon's
 * folders and names with a comma, a quote, a line break, '+', a space and a non-BMP character. The listing gives what a
 * LIST of the same bucket gives (keys, sizes, times, tags, order); every broken report fails naming why.
 */
abstract class CloudInventoryListingContract {

    static final List<String> PREFIXES = List.of("persistence/", "plugin/", "plugin_packages/", "assets/", "plugin\\");
    static final List<String> KEYS = List.of("plugin/", "plugin/langgenius/x:1.0.0@" + "a".repeat(64),
            "plugin/langgenius/y:1.0.0@" + "b".repeat(64) + " copy", "plugin_packages/a+b c", "plugin_packages/with,comma",
            "plugin_packages/with\"quote", "plugin_packages/with\nline break", "assets/\uD83D\uDE00.png", "assets/ä.png",
            "persistence/tenant-1/k v", "persistence/tenant-2/x", "plugin\\windows", "pluginx/outside");

    static TestDatabase db;

    /** The knobs a report is written with; the writers break it the ways a delivery can go wrong. */
    static final class Report {
        Instant takenAt = Instant.now().plusSeconds(1);
        Predicate<String> keep = k -> true;
        List<String> fields;
        String format = "csv";
        boolean duplicate;
    }

    /** The source bucket (container) as the product reads it. */
    abstract ObjectStorage source();

    /** A fresh store of the report bucket (the listing owns and closes it). */
    abstract ObjectStorage reports();

    abstract void putSource(String key, byte[] bytes);

    abstract void putReport(String key, byte[] bytes);

    abstract void deleteReport(String key);

    abstract byte[] getReport(String key);

    /** Writes the report of the source as it is now into the report bucket; returns its data files' keys. */
    abstract List<String> write(Report report);

    abstract InventoryListing.Format format();

    abstract String bucket();

    /** The default fields, the last one required (dropped by the wrong-schema case). */
    abstract List<String> fields(String without);

    /** What a shard that lost its last rows fails with. */
    abstract String shortFileMessage();

    @BeforeAll
    static void database() {
        db = EmbeddedPostgres.shared().createDatabase();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    void seed() {
        for (String key : KEYS) {
            putSource(key, key.getBytes(StandardCharsets.UTF_8));
        }
    }

    InventoryListing open(Instant now) {
        return InventoryListing.open(source(), bucket(), reports(), format(), PREFIXES, db.dataSource(), now, Duration.ofHours(36));
    }

    static List<StoredObject> listed(Stream<StoredObject> listing) {
        try (listing) {
            return listing.toList();
        }
    }

    void assertFails(Report report, String message) {
        write(report);
        StorageException e = assertThrows(StorageException.class, () -> open(Instant.now()).close());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void theReportListsWhatAListGivesInTheSameOrder() {
        write(new Report());
        try (InventoryListing listing = open(Instant.now())) {
            for (String prefix : PREFIXES) {
                List<StoredObject> expected = listed(source().list(prefix));
                assertEquals(expected, listed(listing.list(prefix)), "the listing of " + prefix);
            }
            assertTrue(listed(listing.list("plugin_packages/")).stream().anyMatch(o -> o.key().equals("plugin_packages/with\nline break")));
            assertEquals(KEYS.size() - 1, listing.rowsStaged());
        }
    }

    @Test
    void aStaleReportFails() {
        Report r = new Report();
        r.takenAt = Instant.now().minus(Duration.ofHours(37));
        assertFails(r, "older than reconciler.storage.inventory-max-age (PT36H)");
    }

    @Test
    void aMissingDataFileFails() {
        List<String> files = write(new Report());
        deleteReport(files.get(1));
        StorageException e = assertThrows(StorageException.class, () -> open(Instant.now()).close());
        assertTrue(e.getMessage().contains("…/" + files.get(1) + " cannot be read"), e.getMessage());
    }

    @Test
    void aDataFileThatLostItsLastRowsFails() {
        List<String> files = write(new Report());
        String text = new String(getReport(files.get(0)), StandardCharsets.UTF_8);
        // Cut after the header and the first record that ends a line outside quotes (the first data record is whole).
        int cut = text.indexOf("\"\n", text.indexOf('\n') + 1) + 2;
        putReport(files.get(0), text.substring(0, cut).getBytes(StandardCharsets.UTF_8));
        StorageException e = assertThrows(StorageException.class, () -> open(Instant.now()).close());
        assertTrue(e.getMessage().contains(shortFileMessage()), e.getMessage());
    }

    @Test
    void aReportLackingARequiredFieldFails() {
        Report r = new Report();
        List<String> all = fields(null);
        r.fields = fields(all.get(all.size() - 1));
        assertFails(r, "lacks the field " + all.get(all.size() - 1));
    }

    @Test
    void aReportNotCoveringADaemonPrefixFails() {
        Report r = new Report();
        r.keep = k -> !k.startsWith("assets/");
        assertFails(r, "does not cover assets/");
    }

    @Test
    void aParquetReportIsRefusedByName() {
        Report r = new Report();
        r.format = "parquet";
        assertFails(r, "only CSV inventory reports are read");
    }
}
