package dify.reconciler.remediate.objects;

import dify.reconciler.catalog.AssetReferences;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.PluginIdentifier;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.ScanCounts;
import dify.reconciler.remediate.write.DaemonRowReads;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;

/**
 * {@code asset_missing}: an asset a declaration names is re-created from the {@code _assets/} folder of its
 * declaration's verified package, never over anything, while a declaration still names it.
 */
public final class RecreateAssetRemedy extends ObjectRemedy {

    private static final String NO_DECLARATIONS = "plugin_declarations has no declaration column: asset references cannot be re-checked";

    @Override
    public Set<FindingKind> kinds() {
        return Set.of(FindingKind.ASSET_MISSING);
    }

    @Override
    public RemedyAction action() {
        return RemedyAction.COPY_OBJECT;
    }

    @Override
    public long population(FindingKind kind, ScanCounts counts) {
        return counts.assets();
    }

    @Override
    public Work work() {
        return Work.RECREATE_ASSET;
    }

    @Override
    Keys keys(Finding f, StorageLayout layout) {
        return new Keys(layout.packages() + f.pluginUniqueIdentifier(), f.key());
    }

    @Override
    String problem(PlannedAction a, StorageLayout layout) {
        if (a.observed() != null) {
            return "a re-created asset replaces nothing, so it has no observed version";
        }
        String uid = a.pluginUniqueIdentifier();
        if (uid == null || !PluginIdentifier.isValid(uid) || !(layout.packages() + uid).equals(a.key())) {
            return "an asset is re-created from its declaration's package " + layout.packages() + "<identifier>";
        }
        String target = a.targetKey();
        if (target == null || !target.startsWith(layout.assets())
                || !AssetReferences.isAssetId(target.substring(layout.assets().length()))) {
            return "the target is not an asset id under " + layout.assets();
        }
        return null;
    }

    @Override
    public String recheck(Connection c, PlannedAction a, DaemonRowReads reads) throws SQLException {
        String name = fileName(a.targetKey());
        return !reads.canSeeDeclarations()
                ? NO_DECLARATIONS
                : reads.declarationsMention(c, name) ? null : "no declaration refers to " + name + " any more";
    }
}
