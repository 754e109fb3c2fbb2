package dify.reconciler.remediate.objects;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
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
 * A missing object copied from its verified counterpart under the other prefix, never over anything:
 * {@code installed_object_missing} ({@code plugin_packages/U} to {@code plugin/U}, while a local plugin is installed)
 * and {@code package_missing} ({@code plugin/U} to {@code plugin_packages/U}, while the declaration exists).
 */
public final class MissingCopyRemedy extends ObjectRemedy {

    public static final MissingCopyRemedy INSTALLED_COPIES = new MissingCopyRemedy(FindingKind.INSTALLED_OBJECT_MISSING,
            StorageLayout::packages, StorageLayout::installed, ScanCounts::installedObjects, MissingCopyRemedy::installedCopyNeeded);

    public static final MissingCopyRemedy PACKAGES = new MissingCopyRemedy(FindingKind.PACKAGE_MISSING, StorageLayout::installed,
            StorageLayout::packages, ScanCounts::packages,
            (c, uid, reads) -> reads.hasIdentifier(c, DaemonSchema.DECLARATIONS, uid)
                    ? null
                    : "no declaration with identifier " + uid + " exists any more");

    @FunctionalInterface
    private interface Recheck {
        String skipReason(Connection c, String uid, DaemonRowReads reads) throws SQLException;
    }

    private final FindingKind kind;
    private final Function<StorageLayout, String> from;
    private final Function<StorageLayout, String> to;
    private final ToLongFunction<ScanCounts> population;
    private final Recheck recheck;

    private MissingCopyRemedy(FindingKind kind, Function<StorageLayout, String> from, Function<StorageLayout, String> to,
            ToLongFunction<ScanCounts> population, Recheck recheck) {
        this.kind = kind;
        this.from = from;
        this.to = to;
        this.population = population;
        this.recheck = recheck;
    }

    @Override
    public Set<FindingKind> kinds() {
        return Set.of(kind);
    }

    @Override
    public RemedyAction action() {
        return RemedyAction.COPY_OBJECT;
    }

    /** The prefix the object would be copied into: an emptied prefix allows nothing. */
    @Override
    public long population(FindingKind k, ScanCounts counts) {
        return population.applyAsLong(counts);
    }

    @Override
    public Work work() {
        return Work.COPY;
    }

    @Override
    Keys keys(Finding f, StorageLayout layout) {
        return new Keys(from.apply(layout) + f.pluginUniqueIdentifier(), to.apply(layout) + f.pluginUniqueIdentifier());
    }

    @Override
    String problem(PlannedAction a, StorageLayout layout) {
        return toAbsent(a, from.apply(layout), to.apply(layout));
    }

    @Override
    public String recheck(Connection c, PlannedAction a, DaemonRowReads reads) throws SQLException {
        return recheck.skipReason(c, a.pluginUniqueIdentifier(), reads);
    }

    private static String installedCopyNeeded(Connection c, String uid, DaemonRowReads reads) throws SQLException {
        long local = DaemonRowReads.count(c, "SELECT count(*) FROM " + reads.qualified(DaemonSchema.PLUGINS)
                + " WHERE plugin_unique_identifier = ? AND install_type = 'local'", uid);
        if (local == 0) {
            return "no plugins row with identifier " + uid + " and install_type local exists any more";
        }
        return reads.countInstallations(c, uid) == 0 ? "no installation uses " + uid + " any more" : null;
    }
}
