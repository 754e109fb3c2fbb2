package dify.reconciler.detect;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.KeyOrder;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.PluginIdentifier;
import dify.reconciler.inventory.DeclarationRow;
import dify.reconciler.inventory.storage.StoredObject;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/** {@code plugin_packages/} (uploaded packages) against {@code plugin_declarations}. */
public final class PackageDetector {

    private final String prefix;
    private final GraceWindow grace;
    private final FindingSink sink;

    public PackageDetector(String packagePrefix, GraceWindow grace, FindingSink sink) {
        this.prefix = packagePrefix;
        this.grace = grace;
        this.sink = sink;
    }

    /**
     * @param listing             every object under the package prefix, in key order
     * @param declarationsByUid   declarations sorted by identifier in {@link KeyOrder}
     * @param remoteUids          identifiers of remote (debugging) plugins: they have no package by design
     * @param pluginUids          identifiers a {@code plugins} row uses: a declaration none uses is unreferenced
     * @param presentPackages     receives package objects that have a declaration (for deep verification)
     */
    public void detect(Iterator<StoredObject> listing, List<DeclarationRow> declarationsByUid, Set<String> remoteUids,
            Set<String> pluginUids, Consumer<StoredObject> presentPackages) {
        Iterator<StoredObject> validKeys = new FilteringIterator<>(listing, o -> {
            if (PluginIdentifier.isValid(o.key().substring(prefix.length()))) {
                return true;
            }
            // Unknown key shapes count as referenced: never an orphan, only counted.
            sink.unrecognizedKey();
            return false;
        });
        Iterator<DeclarationRow> validRows = declarationsByUid.stream()
                .filter(d -> PluginIdentifier.isValid(d.uid())).iterator();
        SortedMerge.join("package listing", validKeys, o -> o.key().substring(prefix.length()),
                "plugin_declarations rows", validRows, DeclarationRow::uid,
                (uid, objects, rows) -> {
                    if (rows.isEmpty()) {
                        for (StoredObject o : objects) {
                            if (!grace.sparesObject(o.lastModified(), sink)) {
                                sink.add(Finding.object(FindingKind.PACKAGE_ORPHANED, o.key(), uid, o.version(),
                                        "package has no plugin_declarations row (" + o.size() + " bytes)"));
                            }
                        }
                        return;
                    }
                    if (!pluginUids.contains(uid)) {
                        unreferenced(uid, rows, objects.isEmpty() ? null : objects.get(0));
                    }
                    if (!objects.isEmpty()) {
                        objects.forEach(presentPackages);
                        return;
                    }
                    if (remoteUids.contains(uid)) {
                        return;
                    }
                    for (DeclarationRow row : rows) {
                        if (grace.sparesRow(row.changedAt(), sink)) {
                            continue;
                        }
                        sink.add(new Finding(FindingKind.PACKAGE_MISSING, "plugin_declarations", row.id(), prefix + uid, uid,
                                row.pluginId(), null, null,
                                "declaration expects package " + prefix + uid + ", which does not exist",
                                ObservedVersion.row(row.changedAt())));
                    }
                });
    }

    /**
     * A declaration no {@code plugins} row uses (uploaded, not installed anywhere). Reported here, next to its
     * package, because its age is the package's: uploads re-save {@code plugin_packages/U} but never touch the
     * declaration, so the package's last-modified is the last upload (an install may follow a fresh one). The
     * finding carries it in its observed version. Young declarations were counted by the database check.
     */
    private void unreferenced(String uid, List<DeclarationRow> rows, StoredObject pkg) {
        for (DeclarationRow row : rows) {
            if (grace.isYoung(row.changedAt())) {
                continue;
            }
            sink.add(Finding.row(FindingKind.DECLARATION_UNREFERENCED, "plugin_declarations", row.id(), uid, row.pluginId(), null,
                    new ObservedVersion(row.changedAt(), null, pkg == null ? null : pkg.lastModified(),
                            pkg == null ? null : pkg.etag()),
                    "no plugins row uses this declaration (uploaded but not installed anywhere)"));
        }
    }
}
