package dify.reconciler.remediate.planner;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.remediate.objects.DifferingCopyRemedy;
import dify.reconciler.remediate.objects.InvalidKeyRemedy;
import dify.reconciler.remediate.objects.MissingCopyRemedy;
import dify.reconciler.remediate.objects.ObjectRemedy;
import dify.reconciler.remediate.objects.OrphanedObjectRemedy;
import dify.reconciler.remediate.objects.RecreateAssetRemedy;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.Remedy;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.ScanCounts;
import dify.reconciler.remediate.rows.DeletedWorkspaceRemedy;
import dify.reconciler.remediate.rows.GlobalTenantInstallationRemedy;
import dify.reconciler.remediate.rows.InvalidIdentifierRowRemedy;
import dify.reconciler.remediate.rows.OrphanedRowRemedy;
import dify.reconciler.remediate.rows.RefersRemedy;
import dify.reconciler.remediate.rows.RowRemedy;
import dify.reconciler.remediate.rows.TenantStorageRemedy;
import dify.reconciler.remediate.rows.UninstallForTenantRemedy;
import dify.reconciler.remediate.rows.UnreferencedDeclarationRemedy;
import dify.reconciler.remediate.rows.UnreferencedPluginRemedy;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The registry of remedies: the one place that says which kind is repaired how. Every other kind is report-only.
 * Adding a remedy is one class and one line here.
 */
public final class Remedies {

    /** Rows, then objects; the order is only the order of this list. */
    private static final List<Remedy> ALL = List.of(
            new RefersRemedy(),
            OrphanedRowRemedy.CATEGORY_ROWS,
            OrphanedRowRemedy.ENDPOINTS,
            new InvalidIdentifierRowRemedy(),
            new TenantStorageRemedy(),
            new UninstallForTenantRemedy(),
            new DeletedWorkspaceRemedy(),
            new GlobalTenantInstallationRemedy(),
            new UnreferencedDeclarationRemedy(),
            new UnreferencedPluginRemedy(),
            new InvalidKeyRemedy(),
            OrphanedObjectRemedy.INSTALLED_COPIES,
            OrphanedObjectRemedy.PACKAGES,
            OrphanedObjectRemedy.ASSETS,
            MissingCopyRemedy.INSTALLED_COPIES,
            MissingCopyRemedy.PACKAGES,
            DifferingCopyRemedy.INSTALLED_COPIES,
            DifferingCopyRemedy.EITHER_PREFIX,
            new RecreateAssetRemedy());

    private static final Map<FindingKind, Remedy> BY_KIND;

    static {
        Map<FindingKind, Remedy> byKind = new EnumMap<>(FindingKind.class);
        for (Remedy r : ALL) {
            for (FindingKind k : r.kinds()) {
                if (byKind.put(k, r) != null) {
                    throw new IllegalStateException("two remedies for " + k.label());
                }
            }
        }
        BY_KIND = Collections.unmodifiableMap(byKind);
    }

    private Remedies() {
    }

    /** What the kind's remedy does, empty for report-only kinds. */
    public static Optional<RemedyAction> remedyFor(FindingKind kind) {
        return of(kind).map(Remedy::action);
    }

    /** Kinds that have a remedy in this version. */
    public static Set<FindingKind> remediableKinds() {
        return kinds();
    }

    /** The kind's remedy, empty for a report-only kind. */
    public static Optional<Remedy> of(FindingKind kind) {
        return Optional.ofNullable(BY_KIND.get(kind));
    }

    /** Kinds that have a remedy. */
    public static Set<FindingKind> kinds() {
        return BY_KIND.keySet();
    }

    /** The row remedy of a row action's kind; IllegalArgumentException when the kind has none. */
    public static RowRemedy rows(PlannedAction a) {
        if (of(a.kind()).orElse(null) instanceof RowRemedy r && r.action() == a.action()) {
            return r;
        }
        throw new IllegalArgumentException("no row remedy for " + a.kind().label());
    }

    /**
     * The object remedy of an object action: its kind's, or the object step that follows a row remedy (the
     * {@code plugin/U} of {@code plugin_unreferenced}). IllegalArgumentException when there is none.
     */
    public static ObjectRemedy objects(PlannedAction a) {
        Remedy r = of(a.kind()).orElse(null);
        if (r instanceof ObjectRemedy o && o.action() == a.action()) {
            return o;
        }
        if (r instanceof RowRemedy row && row.followingObject() != null && row.followingObject().action() == a.action()) {
            return row.followingObject();
        }
        throw new IllegalArgumentException("no object remedy for " + a.kind().label());
    }

    /** Per kind with a remedy, every action it can take: its own, and the object step that may follow it. */
    public static Map<FindingKind, Set<RemedyAction>> actions() {
        Map<FindingKind, Set<RemedyAction>> out = new EnumMap<>(FindingKind.class);
        BY_KIND.forEach((kind, remedy) -> {
            Set<RemedyAction> actions = EnumSet.of(remedy.action());
            if (remedy instanceof RowRemedy row && row.followingObject() != null) {
                actions.add(row.followingObject().action());
            }
            out.put(kind, Collections.unmodifiableSet(actions));
        });
        return Collections.unmodifiableMap(out);
    }

    /** Per kind with a remedy, the rows or objects it is about: the base of {@code max-share}. */
    public static Map<FindingKind, Long> population(ScanCounts counts) {
        Map<FindingKind, Long> p = new EnumMap<>(FindingKind.class);
        BY_KIND.forEach((kind, remedy) -> p.put(kind, remedy.population(kind, counts)));
        return p;
    }

    /** Why we never make this action, as a sentence naming it; null when it is one we make. */
    static String refusal(PlannedAction a, StorageLayout layout) {
        Remedy r = BY_KIND.get(a.kind());
        if (r == null || r.action() != a.action()) {
            return "action " + a.id() + ": " + a.action().label() + " is not the remedy of " + a.kind().label();
        }
        return r.refusal(a, layout);
    }
}
