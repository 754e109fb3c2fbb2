package dify.reconciler.detect;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.KeyOrder;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.PluginIdentifier;
import dify.reconciler.inventory.PluginRow;
import dify.reconciler.inventory.storage.StoredObject;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code plugin/} (the "installed" copies) against {@code plugins}: invalid keys, local plugins whose copy
 * is missing, and copies no plugin row uses.
 */
public final class InstalledObjectDetector {

    private final String prefix;
    private final GraceWindow grace;
    private final FindingSink sink;

    public InstalledObjectDetector(String installedPrefix, GraceWindow grace, FindingSink sink) {
        this.prefix = installedPrefix;
        this.grace = grace;
        this.sink = sink;
    }

    /**
     * @param listing          every object under the installed prefix, in key order
     * @param pluginsByUid     {@code plugins} rows sorted by identifier in {@link KeyOrder}
     * @param presentCopies    receives the installed objects that match a plugin row (for deep verification)
     */
    public void detect(Iterator<StoredObject> listing, List<PluginRow> pluginsByUid, Consumer<StoredObject> presentCopies) {
        Iterator<StoredObject> validKeys = new FilteringIterator<>(listing, this::acceptValidKey);
        Iterator<PluginRow> validRows = pluginsByUid.stream().filter(p -> PluginIdentifier.isValid(p.uid())).iterator();
        SortedMerge.join("installed object listing", validKeys, this::uidOf, "plugins rows", validRows, PluginRow::uid,
                (uid, objects, rows) -> {
                    if (rows.isEmpty()) {
                        for (StoredObject o : objects) {
                            if (!grace.sparesObject(o.lastModified(), sink)) {
                                sink.add(Finding.object(FindingKind.INSTALLED_OBJECT_ORPHANED, o.key(), uid, o.version(),
                                        "installed copy has no plugins row with identifier " + uid
                                                + " (" + o.size() + " bytes)"));
                            }
                        }
                        return;
                    }
                    objects.forEach(presentCopies);
                    if (!objects.isEmpty()) {
                        return;
                    }
                    for (PluginRow row : rows) {
                        if (!row.isLocal()) {
                            continue; // remote and serverless plugins have no installed copy by design
                        }
                        if (grace.sparesRow(row.changedAt(), sink)) {
                            continue;
                        }
                        sink.add(new Finding(FindingKind.INSTALLED_OBJECT_MISSING, "plugins", row.id(), prefix + uid, uid,
                                row.pluginId(), null, null,
                                "plugins row with install_type=local expects object " + prefix + uid + ", which does not exist",
                                ObservedVersion.row(row.changedAt())));
                    }
                });
    }

    private String uidOf(StoredObject o) {
        return o.key().substring(prefix.length());
    }

    /** Reports invalid keys as it goes; lets valid ones through to the merge. */
    private boolean acceptValidKey(StoredObject o) {
        String rest = o.key().startsWith(prefix) ? o.key().substring(prefix.length()) : o.key();
        if (PluginIdentifier.isValid(rest)) {
            return true;
        }
        if (!grace.sparesObject(o.lastModified(), sink)) {
            sink.add(Finding.object(FindingKind.INVALID_INSTALLED_KEY, o.key(), null, o.version(), describeInvalidKey(rest)));
        }
        return false;
    }

    static String describeInvalidKey(String rest) {
        List<String> why = new ArrayList<>();
        if (rest.isEmpty()) {
            why.add("it is the folder placeholder itself");
        }
        if (rest.startsWith("/")) {
            why.add("it has a leading slash");
        }
        if (rest.indexOf('\\') >= 0) {
            why.add("it contains a backslash (Windows separator)");
        }
        if (rest.indexOf('\uFF1A') >= 0 || rest.indexOf('\uF03A') >= 0) {
            why.add("it contains a look-alike colon instead of ':'");
        } else if (!rest.isEmpty() && rest.indexOf(':') < 0) {
            why.add("it has no ':' between name and version");
        }
        String reason = why.isEmpty() ? "" : ": " + String.join(", ", why);
        if (rest.length() > 1 && rest.endsWith("/")) {
            // A folder placeholder below the prefix (plugin/langgenius/): what the daemon does depends on its storage.
            return "key is not a valid plugin unique identifier" + reason + ", a folder placeholder (it ends in '/'):"
                    + " the daemon's s3 and huawei_obs storages (dify-cloud-kit v0.1.3) list placeholders as keys, and the"
                    + " daemon then logs 'plugin_unique_identifier is not valid' for it every 30 s; its aliyun_oss and"
                    + " tencent_cos listings skip it";
        }
        return "key is not a valid plugin unique identifier" + reason
                + "; the daemon logs 'plugin_unique_identifier is not valid' for it every 30 s";
    }
}
