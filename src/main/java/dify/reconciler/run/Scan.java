package dify.reconciler.run;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.KeyOrder;
import dify.reconciler.catalog.PluginIdentifier;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.declaration.DeclarationRules;
import dify.reconciler.detect.AssetDetector;
import dify.reconciler.detect.DatabaseConsistencyDetector;
import dify.reconciler.detect.DeclarationDetector;
import dify.reconciler.detect.FindingSink;
import dify.reconciler.detect.GraceWindow;
import dify.reconciler.detect.InstalledObjectDetector;
import dify.reconciler.detect.InventoryConfirmation;
import dify.reconciler.detect.PackageDetector;
import dify.reconciler.detect.RowDetector;
import dify.reconciler.detect.TenantMissingDetector;
import dify.reconciler.detect.TenantStorageDetector;
import dify.reconciler.detect.WorkingDirDetector;
import dify.reconciler.inventory.DeclarationRow;
import dify.reconciler.inventory.InstallationTally;
import dify.reconciler.inventory.PluginRow;
import dify.reconciler.inventory.PrefixListingChoice;
import dify.reconciler.inventory.TableRow;
import dify.reconciler.inventory.postgres.DaemonDatabaseReader;
import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.inventory.postgres.DifyTenantsReader;
import dify.reconciler.inventory.postgres.DifyTenantsUnavailableException;
import dify.reconciler.inventory.storage.InventoryListing;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.inventory.workdir.WorkingPath;
import dify.reconciler.report.ScanPhase;
import dify.reconciler.report.ScanReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * One scan: every check of the catalog, database first (one snapshot), then each storage prefix merged
 * against it, then (optionally) the package bytes. Any exception ends the scan; {@link ScanRunner} turns it
 * into a failed report that names {@link #phase()}. Not reusable: one instance per run.
 */
final class Scan {

    /** Read once: the rules are a bundled resource, the same for every scan of this build. */
    private static final DeclarationRules DECLARATION_RULES = DeclarationRules.bundled();
    private static final Logger LOG = Logger.getLogger(Scan.class);
    /** Objects held per tenant folder in flight (one S3 page), so at most 2 × concurrency pages in memory. */
    private static final int PERSISTENCE_QUEUE = 1000;

    /** Opens Dify's tenants for the {@code installation_tenant_missing} check; null: the check is off. */
    @FunctionalInterface
    interface DifyTenants {
        DifyTenantsReader open() throws DifyTenantsUnavailableException;
    }

    private final DaemonDatabaseReader db;
    private final ObjectStorage storage;
    private final StorageLayout layout;
    private final GraceWindow grace;
    private final Instant installTasksStuckBefore;
    private final boolean deepVerify;
    private final FindingSink sink;
    private final PhaseClock clock = new PhaseClock();
    private final Map<String, Long> objectsListed = new LinkedHashMap<>();
    private WorkingPath workingPath;
    private String node;
    private ScanReport.WorkingPathScope workingPathScope;
    private DifyTenants difyTenants;
    private DeepVerifier.Caching verifyCaching = DeepVerifier.Caching.NONE;
    private DeepVerifier.Counts verified = DeepVerifier.Counts.NONE;
    private int listingConcurrency = 1;
    private String tenantStorageSkipped;
    private InventoryReport inventoryReport;
    private int inventoryConfirmMax;
    /** Where the storage phase lists from: the bucket, or an inventory report of it while that phase runs. */
    private ObjectStorage listingStore;

    /** Opens the latest inventory report of the bucket for the prefixes a scan lists. */
    @FunctionalInterface
    interface InventoryReport {
        InventoryListing open(List<String> prefixes);
    }

    Scan(DaemonDatabaseReader db, ObjectStorage storage, StorageLayout layout, GraceWindow grace,
            Instant installTasksStuckBefore, boolean deepVerify, FindingSink sink) {
        this.db = db;
        this.storage = storage;
        this.layout = layout;
        this.grace = grace;
        this.installTasksStuckBefore = installTasksStuckBefore;
        this.deepVerify = deepVerify;
        this.sink = sink;
        this.listingStore = storage;
    }

    /**
     * Also judge this node's copy of the daemon's working path ({@code reconciler.working-path}), after the storage
     * phase: the database transaction has ended by then, so no lock is held while the folders are read.
     */
    void alsoReadWorkingPath(WorkingPath path, String nodeName) {
        this.workingPath = path;
        this.node = nodeName;
    }

    /** What the working-path phase read; null when it is off or did not complete. */
    ScanReport.WorkingPathScope workingPathScope() {
        return workingPathScope;
    }

    /** Turns on the {@code installation_tenant_missing} check, reading Dify's tenants through {@code tenants}. */
    Scan withDifyTenants(DifyTenants tenants) {
        this.difyTenants = tenants;
        return this;
    }

    /** Lets deep verify use (and replace) cached verdicts instead of reading every object. */
    Scan withVerifyCache(DeepVerifier.Caching caching) {
        this.verifyCaching = caching;
        return this;
    }

    /** Lists {@code persistence/} tenant folder by tenant folder, this many at once (1: one sequential listing). */
    Scan withListingConcurrency(int concurrency) {
        this.listingConcurrency = concurrency;
        return this;
    }

    /**
     * Lists from an inventory report instead of LIST calls ({@code reconciler.storage.listing=inventory}), confirming
     * at most {@code confirmMax} missing or orphaned candidates with a HEAD ({@link InventoryConfirmation}).
     */
    Scan withInventoryListing(InventoryReport report, int confirmMax) {
        this.inventoryReport = report;
        this.inventoryConfirmMax = confirmMax;
        return this;
    }

    /** Leaves {@code tenant_storage_drift} out of this scan, for {@code reason}: a check that did not run. */
    Scan withoutTenantStorage(String reason) {
        this.tenantStorageSkipped = reason;
        return this;
    }

    /** Whether this scan runs {@code tenant_storage_drift} (when its table exists). */
    boolean runsTenantStorage() {
        return tenantStorageSkipped == null;
    }

    /** What deep verify read (zero when it is off or did not complete). */
    DeepVerifier.Counts deepVerified() {
        return verified;
    }

    /** The phase running now; after a failure, the phase it happened in. */
    ScanPhase phase() {
        return clock.current();
    }

    /** Time per phase label, for the phases that completed. */
    Map<String, Duration> phases() {
        return clock.durations();
    }

    Map<String, Long> objectsListed() {
        return objectsListed;
    }

    void run() throws SQLException {
        Tables tables = clock.time(ScanPhase.DATABASE, this::readTables);
        Verdict verdict = clock.time(ScanPhase.DETECT, () -> detectAmongTables(tables));
        clock.time(ScanPhase.DATABASE, () -> checkNarrowedRows(tables, verdict));
        Listed listed = clock.time(ScanPhase.STORAGE, () -> mergeStorage(tables));
        if (deepVerify) {
            DeepVerifier verifier = new DeepVerifier(storage, sink, verifyCaching);
            clock.time(ScanPhase.VERIFY,
                    () -> verifier.verify(layout.packages(), listed.packages(), layout.installed(), listed.installedCopies()));
            verified = verifier.counts();
        }
        if (workingPath != null) {
            clock.time(ScanPhase.WORKING_PATH, () -> readWorkingPath(tables.plugins()));
        }
        db.notes().forEach(sink::note);
    }

    /** What the database phase reads before detection; bounded by plugins and declarations, not installations. */
    private record Tables(List<PluginRow> plugins, List<DeclarationRow> declarations,
            Map<String, InstallationTally> tallies, List<TableRow> serverlessRows, Set<String> serverlessUids) {
    }

    /** What detection among the tables decided: what is known, and which installations to read row by row. */
    private record Verdict(DatabaseConsistencyDetector.Knowledge knowledge, Set<String> suspects, Set<String> onlyGlobal) {
    }

    /** Objects kept from the listings for deep verification (empty lists when it is off). */
    private record Listed(List<StoredObject> packages, List<StoredObject> installedCopies) {
    }

    private Tables readTables() throws SQLException {
        List<PluginRow> plugins = sortedByUid(db.plugins(), PluginRow::uid);
        List<DeclarationRow> declarations = sortedByUid(db.declarations(), DeclarationRow::uid);
        Map<String, InstallationTally> tallies = db.installationTallies(grace.cutoff());
        Set<String> serverlessUids = null; // null: the table does not exist, so serverless plugins are not checked
        List<TableRow> serverlessRows = List.of();
        if (db.schema().hasTable(DaemonSchema.SERVERLESS_RUNTIMES)) {
            serverlessRows = db.serverlessRuntimes();
            serverlessUids = serverlessRows.stream().map(TableRow::uid).filter(Objects::nonNull).collect(Collectors.toSet());
        }
        return new Tables(plugins, declarations, tallies, serverlessRows, serverlessUids);
    }

    private Verdict detectAmongTables(Tables t) {
        DatabaseConsistencyDetector consistency = new DatabaseConsistencyDetector(grace, sink);
        DatabaseConsistencyDetector.Knowledge knowledge = consistency.knowledge(t.plugins(), t.declarations());
        consistency.detect(t.plugins(), t.declarations(), t.tallies(), t.serverlessUids(), knowledge);
        return new Verdict(knowledge, consistency.suspectInstallationUids(t.tallies(), knowledge),
                consistency.onlyGloballyInstalledUids(t.tallies()));
    }

    /** Row-level checks on the rows PostgreSQL narrows down; the still-open transaction keeps them in the snapshot. */
    private void checkNarrowedRows(Tables t, Verdict v) throws SQLException {
        RowDetector rows = new RowDetector(grace, sink, v.knowledge());
        t.serverlessRows().stream().filter(r -> !PluginIdentifier.isValid(r.uid())).forEach(rows::invalidIdentifier);
        db.installationsUsing(v.suspects(), rows::installation);
        db.duplicatePlugins(grace.cutoff(), rows::duplicates);
        db.duplicateInstallations(grace.cutoff(), rows::duplicates);
        if (db.schema().hasTable(DaemonSchema.SERVERLESS_RUNTIMES)) {
            db.duplicateServerlessRuntimes(grace.cutoff(), rows::duplicates);
        }
        if (!v.onlyGlobal().isEmpty()) {
            Map<String, PluginRow> pluginOf = new HashMap<>();
            t.plugins().stream().filter(p -> v.onlyGlobal().contains(p.uid())).forEach(p -> pluginOf.putIfAbsent(p.uid(), p));
            db.globalInstallationsUsing(v.onlyGlobal(), row -> rows.legacyGlobalInstallation(row, pluginOf.get(row.uid())));
        }
        List<String> categoryTables = DaemonSchema.CATEGORY_TABLES.stream().filter(db.schema()::hasTable).toList();
        // A category row with an invalid identifier either shares it with an installation (found through the
        // installations' invalid identifiers, a handful at most) or has none (the anti-join returns it).
        // Either way no category table is read row by row.
        Set<String> invalidInstalledUids = new HashSet<>();
        t.tallies().keySet().stream().filter(u -> !PluginIdentifier.isValid(u)).forEach(invalidInstalledUids::add);
        for (String table : categoryTables) {
            db.countRows(table);
            db.rowsUsing(table, invalidInstalledUids, rows::invalidIdentifier);
        }
        db.orphanedCategoryRows(categoryTables, row -> {
            if (PluginIdentifier.isValid(row.uid())) {
                rows.orphanedCategoryRow(row);
            } else if (!invalidInstalledUids.contains(row.uid())) {
                rows.invalidIdentifier(row);
            }
        });
        if (db.schema().hasTable(DaemonSchema.ENDPOINTS)) {
            db.orphanedEndpoints(rows::orphanedEndpoint);
        }
        if (db.schema().hasTable(DaemonSchema.INSTALL_TASKS)) {
            db.stuckInstallTasks(installTasksStuckBefore, rows::stuckInstallTask);
        }
        DeclarationDetector declarations = new DeclarationDetector(DECLARATION_RULES, sink);
        db.installedDeclarations(declarations::check);
        declarations.report(db.tenantsUsing(declarations.brokenUids(), DeclarationDetector.TENANTS_NAMED));
        if (difyTenants != null) {
            checkTenantsExist();
        }
    }

    /**
     * Merges the workspaces the daemon's rows name (this snapshot) with Dify's {@code tenants} (read after it, so a
     * workspace created meanwhile is there). Dify's database being unreadable is a check that did not run, with the
     * reason; a read that fails once started fails the run like any other.
     */
    private void checkTenantsExist() throws SQLException {
        DifyTenantsReader tenants;
        try {
            tenants = difyTenants.open();
        } catch (DifyTenantsUnavailableException e) {
            LOG.warnf("the %s check did not run: %s", FindingKind.INSTALLATION_TENANT_MISSING.label(), e.getMessage());
            sink.checkNotRun(FindingKind.INSTALLATION_TENANT_MISSING, e.getMessage());
            return;
        }
        try (tenants) {
            TenantMissingDetector detector = new TenantMissingDetector(sink);
            db.withTenantFootprints(grace.cutoff(), footprints -> {
                try {
                    tenants.withTenantIds(ids -> {
                        String notRun = detector.detect(footprints, ids);
                        if (notRun != null) {
                            LOG.warnf("the %s check did not run: %s", FindingKind.INSTALLATION_TENANT_MISSING.label(), notRun);
                        }
                    });
                } catch (SQLException e) {
                    throw new dify.reconciler.inventory.postgres.DatabaseReadException(
                            "reading Dify's tenants failed: " + e.getMessage(), e);
                }
            });
        }
    }

    private Listed mergeStorage(Tables t) throws SQLException {
        if (inventoryReport == null) {
            return mergeListings(t);
        }
        List<String> prefixes = new ArrayList<>(List.of(layout.persistence(), layout.installedListing(), layout.packages(),
                layout.assets()));
        if (!layout.daemonListsRawPrefixes()) {
            prefixes.add(layout.windowsInstalledPrefix());
        }
        try (InventoryListing report = inventoryReport.open(prefixes)) {
            listingStore = report;
            InventoryConfirmation confirmation = new InventoryConfirmation(storage::head, inventoryConfirmMax,
                    report.report().createdAt(), sink);
            sink.admitOnly(confirmation);
            try {
                Listed kept = mergeListings(t);
                sink.note("objects listed from inventory report " + report.report().manifestKey() + " taken at "
                        + report.report().createdAt() + "; " + confirmation.heads() + " missing or orphaned candidates"
                        + " confirmed with a HEAD, " + confirmation.dropped() + " of them not reported (the bucket has"
                        + " changed since)");
                return kept;
            } finally {
                sink.admitOnly(null);
                listingStore = storage;
            }
        }
    }

    private Listed mergeListings(Tables t) throws SQLException {
        // tenant_storages is the one table still streamed here, merged with the persistence listing: read it
        // first, then end the database transaction, so no lock is held across the other listings.
        if (db.schema().hasTable(DaemonSchema.TENANT_STORAGES)) {
            if (tenantStorageSkipped != null) {
                sink.checkNotRun(FindingKind.TENANT_STORAGE_DRIFT, tenantStorageSkipped);
            } else {
                db.withTenantStorages(tenantRows -> withListing(layout.persistence(), PrefixListingChoice.list(listingStore,
                        layout.persistence(), listingConcurrency, PERSISTENCE_QUEUE, PrefixListingChoice.SAMPLE_KEYS),
                        listing -> new TenantStorageDetector(layout.persistence(), grace, sink).detect(listing, tenantRows)));
            }
        }
        db.endTransaction();
        List<StoredObject> installedCopies = new ArrayList<>();
        List<StoredObject> packages = new ArrayList<>();
        Consumer<StoredObject> keepInstalled = deepVerify ? installedCopies::add : o -> {};
        Consumer<StoredObject> keepPackage = deepVerify ? packages::add : o -> {};
        // Listed as the daemon lists it: on GCS the raw prefix, whose other keys the detector sets apart (not counted).
        InstalledObjectDetector installed = new InstalledObjectDetector(layout, grace, sink);
        withListing(layout.installedListing(), listing -> installed.detect(listing, t.plugins(), keepInstalled));
        objectsListed.merge(StorageLayout.label(layout.installed()), -installed.keysNotInstalled(), Long::sum);
        if (!layout.daemonListsRawPrefixes()) {
            // plugin\… keys (a Windows daemon's separator) are outside plugin/: one more listing, usually empty, counted
            // with the installed folder's objects.
            long[] count = {0};
            try (Stream<StoredObject> listing = listingStore.list(layout.windowsInstalledPrefix())) {
                installed.detectWindowsKeys(listing.peek(o -> count[0]++).iterator());
            }
            objectsListed.merge(StorageLayout.label(layout.installed()), count[0], Long::sum);
        }
        Set<String> remoteUids = t.plugins().stream().filter(PluginRow::isRemote).map(PluginRow::uid)
                .collect(Collectors.toSet());
        Set<String> pluginUids = t.plugins().stream().map(PluginRow::uid).collect(Collectors.toSet());
        withListing(layout.packages(), listing -> new PackageDetector(layout.packages(), grace, sink)
                .detect(listing, t.declarations(), remoteUids, pluginUids, keepPackage));
        if (!db.allDeclarationsParsed()) {
            sink.note("some declarations could not be parsed: their assets are unknown, so asset findings are not reported");
        } else {
            withListing(layout.assets(), listing -> new AssetDetector(layout.assets(), grace, sink)
                    .detect(listing, t.declarations(), t.plugins()));
        }
        return new Listed(packages, installedCopies);
    }

    private void readWorkingPath(List<PluginRow> plugins) {
        WorkingDirDetector detector = new WorkingDirDetector(plugins, node, grace, sink);
        try {
            workingPath.forEachPluginFolder(detector::inspect);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        workingPathScope = new ScanReport.WorkingPathScope(workingPath.root().toString(), node, workingPath.pluginFolders(),
                detector.inGrace(), workingPath.unrecognizedEntries(), detector.notFollowed(), detector.orphanedBytes());
    }

    private void withListing(String prefix, Consumer<Iterator<StoredObject>> consumer) {
        withListing(prefix, listingStore.list(prefix), consumer);
    }

    private void withListing(String prefix, Stream<StoredObject> stream, Consumer<Iterator<StoredObject>> consumer) {
        long[] count = {0};
        try (Stream<StoredObject> listing = stream) {
            consumer.accept(listing.peek(o -> count[0]++).iterator());
        }
        objectsListed.put(StorageLayout.label(prefix), count[0]);
    }

    /** Sorted in {@link KeyOrder}; rows without an identifier first (they are invalid and never merged). */
    private static <T> List<T> sortedByUid(List<T> rows, Function<T, String> uid) {
        List<T> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparing(uid, Comparator.nullsFirst(KeyOrder.COMPARATOR)));
        return sorted;
    }
}
