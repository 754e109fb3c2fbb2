package dify.reconciler.detect;

import dify.reconciler.catalog.AssetReferences;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.KeyOrder;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.inventory.DeclarationRow;
import dify.reconciler.inventory.PluginRow;
import dify.reconciler.inventory.storage.StoredObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** {@code assets/} (content-addressed icons) against the asset ids that declarations name. */
public final class AssetDetector {

    private final String prefix;
    private final GraceWindow grace;
    private final FindingSink sink;

    public AssetDetector(String assetPrefix, GraceWindow grace, FindingSink sink) {
        this.prefix = assetPrefix;
        this.grace = grace;
        this.sink = sink;
    }

    /** One asset id named by one declaration (or, protect-only, by a remote plugin's declaration). */
    record Reference(String assetId, String declarationId, String uid, String pluginId, Instant changedAt,
            boolean protectOnly) {
    }

    public void detect(Iterator<StoredObject> listing, List<DeclarationRow> declarations, List<PluginRow> plugins) {
        List<Reference> references = new ArrayList<>();
        for (DeclarationRow d : declarations) {
            for (String id : d.assetIds()) {
                references.add(new Reference(id, d.id(), d.uid(), d.pluginId(), d.changedAt(), false));
            }
        }
        for (PluginRow p : plugins) {
            for (String id : p.remoteAssetIds()) {
                references.add(new Reference(id, p.id(), p.uid(), p.pluginId(), p.changedAt(), true));
            }
        }
        references.sort((a, b) -> KeyOrder.compare(a.assetId(), b.assetId()));

        Iterator<StoredObject> assetKeys = new FilteringIterator<>(listing, o -> {
            if (AssetReferences.isAssetId(o.key().substring(prefix.length()))) {
                return true;
            }
            sink.unrecognizedKey(); // not of the daemon's shape: leave it alone, never an orphan
            return false;
        });
        SortedMerge.join("asset listing", assetKeys, o -> o.key().substring(prefix.length()),
                "asset references", references.iterator(), Reference::assetId,
                (assetId, objects, refs) -> {
                    if (refs.isEmpty()) {
                        for (StoredObject o : objects) {
                            if (!grace.sparesObject(o.lastModified(), sink)) {
                                sink.add(Finding.object(FindingKind.ASSET_ORPHANED, o.key(), null, o.version(),
                                        "no declaration names asset " + assetId + " (" + o.size() + " bytes)"));
                            }
                        }
                        return;
                    }
                    if (!objects.isEmpty()) {
                        return;
                    }
                    for (Reference ref : refs) {
                        if (ref.protectOnly()) {
                            continue;
                        }
                        if (grace.sparesRow(ref.changedAt(), sink)) {
                            continue;
                        }
                        sink.add(new Finding(FindingKind.ASSET_MISSING, "plugin_declarations", ref.declarationId(),
                                prefix + assetId, ref.uid(), ref.pluginId(), null, null,
                                "declaration names icon asset " + assetId + " but " + prefix + assetId + " does not exist",
                                ObservedVersion.row(ref.changedAt())));
                    }
                });
    }
}
