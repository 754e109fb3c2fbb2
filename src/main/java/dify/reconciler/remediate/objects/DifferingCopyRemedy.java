package dify.reconciler.remediate.objects;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.ScanCounts;
import dify.reconciler.remediate.write.DaemonRowReads;
import java.sql.Connection;
import java.util.Set;

/**
 * An object whose bytes are wrong, replaced by its verified counterpart under the other prefix (the old bytes
 * quarantined first): {@code installed_copy_differs} ({@code plugin/U} from {@code plugin_packages/U}) and
 * {@code checksum_mismatch} (either prefix, from the other). Bytes against bytes: the object's version and the
 * source's recomputed identifier decide, nothing in the database.
 */
public final class DifferingCopyRemedy extends ObjectRemedy {

    /** {@code installed_copy_differs}: only ever the installed copy, from the package. */
    public static final DifferingCopyRemedy INSTALLED_COPIES = new DifferingCopyRemedy(FindingKind.INSTALLED_COPY_DIFFERS, false);
    /** {@code checksum_mismatch}: the object under either prefix, from the other one. */
    public static final DifferingCopyRemedy EITHER_PREFIX = new DifferingCopyRemedy(FindingKind.CHECKSUM_MISMATCH, true);

    private final FindingKind kind;
    private final boolean packagesToo;

    private DifferingCopyRemedy(FindingKind kind, boolean packagesToo) {
        this.kind = kind;
        this.packagesToo = packagesToo;
    }

    @Override
    public Set<FindingKind> kinds() {
        return Set.of(kind);
    }

    @Override
    public RemedyAction action() {
        return RemedyAction.COPY_OBJECT;
    }

    @Override
    public long population(FindingKind k, ScanCounts counts) {
        return counts.installedObjects() + (packagesToo ? counts.packages() : 0);
    }

    @Override
    public Work work() {
        return Work.COPY;
    }

    /** The finding's object is replaced by its verified counterpart under the other prefix. */
    @Override
    Keys keys(Finding f, StorageLayout layout) {
        String uid = f.pluginUniqueIdentifier();
        return new Keys(f.key().startsWith(layout.installed()) || !packagesToo ? layout.packages() + uid : layout.installed() + uid,
                f.key());
    }

    @Override
    String problem(PlannedAction a, StorageLayout layout) {
        return !packagesToo || (a.targetKey() != null && a.targetKey().startsWith(layout.installed()))
                ? replace(a, layout.packages(), layout.installed())
                : replace(a, layout.installed(), layout.packages());
    }

    @Override
    public String recheck(Connection c, PlannedAction a, DaemonRowReads reads) {
        return null;
    }
}
