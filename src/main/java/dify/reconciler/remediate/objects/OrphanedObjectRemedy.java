package dify.reconciler.remediate.objects;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.PluginIdentifier;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.ScanCounts;
import dify.reconciler.remediate.write.DaemonRowReads;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * An object no row refers to, moved to quarantine while that still holds: {@code installed_object_orphaned}
 * ({@code plugin/U} without a plugins row; also the second step of {@code plugin_unreferenced}),
 * {@code package_orphaned} ({@code plugin_packages/U} without a declaration) and {@code asset_orphaned} (an asset no
 * declaration names). The prefix's own folder placeholder is never one of them.
 */
public final class OrphanedObjectRemedy extends ObjectRemedy {

    /** The database half of the re-check, see {@link ObjectRemedy#recheck}. */
    @FunctionalInterface
    private interface Recheck {
        String skipReason(Connection c, PlannedAction a, DaemonRowReads reads) throws SQLException;
    }

    private static final String NO_DECLARATIONS = "plugin_declarations has no declaration column: asset references cannot be re-checked";

    public static final OrphanedObjectRemedy INSTALLED_COPIES = new OrphanedObjectRemedy(FindingKind.INSTALLED_OBJECT_ORPHANED,
            StorageLayout::installed, true, true, ScanCounts::installedObjects,
            (c, a, reads) -> firstOf(reads.hasIdentifier(c, DaemonSchema.PLUGINS, a.pluginUniqueIdentifier())
                    ? "a plugins row with identifier " + a.pluginUniqueIdentifier() + " exists now"
                    : null, c, a, reads));

    public static final OrphanedObjectRemedy PACKAGES = new OrphanedObjectRemedy(FindingKind.PACKAGE_ORPHANED, StorageLayout::packages,
            true, false, ScanCounts::packages,
            (c, a, reads) -> firstOf(reads.hasIdentifier(c, DaemonSchema.DECLARATIONS, a.pluginUniqueIdentifier())
                    ? "a declaration with identifier " + a.pluginUniqueIdentifier() + " exists now"
                    : null, c, a, reads));

    public static final OrphanedObjectRemedy ASSETS = new OrphanedObjectRemedy(FindingKind.ASSET_ORPHANED, StorageLayout::assets, false,
            false, ScanCounts::assets, (c, a, reads) -> {
                String name = fileName(a.key());
                return !reads.canSeeDeclarations()
                        ? NO_DECLARATIONS
                        : reads.declarationsMention(c, name) ? "a declaration refers to " + name + " now" : null;
            });

    private final FindingKind kind;
    private final Function<StorageLayout, String> prefix;
    /** Whether the rest of the key after the prefix must be a plugin unique identifier. */
    private final boolean identifierKeys;
    private final boolean reinstallable;
    private final ToLongFunction<ScanCounts> population;
    private final Recheck recheck;

    private OrphanedObjectRemedy(FindingKind kind, Function<StorageLayout, String> prefix, boolean identifierKeys,
            boolean reinstallable, ToLongFunction<ScanCounts> population, Recheck recheck) {
        this.kind = kind;
        this.prefix = prefix;
        this.identifierKeys = identifierKeys;
        this.reinstallable = reinstallable;
        this.population = population;
        this.recheck = recheck;
    }

    /** A row referring to the object appeared, else an install in flight may name it (fail closed). */
    private static String firstOf(String rowAppeared, Connection c, PlannedAction a, DaemonRowReads reads) throws SQLException {
        return rowAppeared != null ? rowAppeared : reads.installInFlight(c, a.pluginUniqueIdentifier());
    }

    @Override
    public Set<FindingKind> kinds() {
        return Set.of(kind);
    }

    @Override
    public RemedyAction action() {
        return RemedyAction.QUARANTINE_OBJECT;
    }

    @Override
    public long population(FindingKind k, ScanCounts counts) {
        return population.applyAsLong(counts);
    }

    @Override
    public Work work() {
        return Work.QUARANTINE;
    }

    @Override
    Keys keys(Finding f, StorageLayout layout) {
        return new Keys(f.key(), null);
    }

    @Override
    String problem(PlannedAction a, StorageLayout layout) {
        return quarantinable(a, prefix.apply(layout), false, identifierKeys);
    }

    @Override
    public String recheck(Connection c, PlannedAction a, DaemonRowReads reads) throws SQLException {
        return recheck.skipReason(c, a, reads);
    }

    @Override
    public boolean reinstallable() {
        return reinstallable;
    }

    /**
     * Why a quarantine of the action's key is not one we make: it has a target, or its key is not under the prefix (or
     * is the prefix's own placeholder when that is refused), or not followed by an identifier where one is needed.
     */
    static String quarantinable(PlannedAction a, String prefix, boolean placeholderAllowed, boolean identifierKeys) {
        if (a.targetKey() != null) {
            return "a quarantine has no target key";
        }
        String key = a.key();
        if (!key.startsWith(prefix) || (key.length() == prefix.length() && !placeholderAllowed)) {
            return "not under " + prefix;
        }
        if (identifierKeys && !PluginIdentifier.isValid(key.substring(prefix.length()))) {
            return "not " + prefix + " followed by a plugin unique identifier";
        }
        return null;
    }
}
