package dify.reconciler.detect;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.KeyOrder;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.PluginIdentifier;
import dify.reconciler.catalog.StorageLayout;
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
    /** The layout when the daemon lists the raw prefix (GCS), so the listing holds keys outside the folder; else null. */
    private final StorageLayout rawListing;
    /** The daemon's folders; null when built from the installed prefix alone. */
    private final StorageLayout layout;
    /** Keys of the raw listing under another daemon folder ({@code plugin_packages/…}): the daemon logs them, harmlessly. */
    private long otherFolderKeys;
    /** Keys of the raw listing outside every daemon folder that the daemon cannot parse either. */
    private long unparsableRawKeys;
    private String firstUnparsableRawKey;
    /** Keys whose name after the installed prefix starts with '.': the daemon's listing skips them. */
    private long hiddenKeys;
    private String firstHiddenKey;

    public InstalledObjectDetector(String installedPrefix, GraceWindow grace, FindingSink sink) {
        this.prefix = installedPrefix;
        this.grace = grace;
        this.sink = sink;
        this.rawListing = null;
        this.layout = null;
    }

    /**
     * For {@code layout}'s installed folder, listed as the daemon lists it ({@link StorageLayout#installedListing()}):
     * where the daemon lists the raw prefix, the listing also holds {@code plugin<identifier>} keys (reported: the daemon
     * runs them) and other folders' keys such as {@code plugin_packages/…} (one note, never findings).
     */
    public InstalledObjectDetector(StorageLayout layout, GraceWindow grace, FindingSink sink) {
        this.prefix = layout.installed();
        this.grace = grace;
        this.sink = sink;
        this.rawListing = layout.daemonListsRawPrefixes() ? layout : null;
        this.layout = layout;
    }

    /**
     * Keys under {@link StorageLayout#windowsInstalledPrefix()} ({@code plugin\…}), listed separately where the daemon
     * lists folders (on GCS its raw listing already holds them): each is reported as {@code invalid_installed_key}.
     */
    public void detectWindowsKeys(Iterator<StoredObject> listing) {
        listing.forEachRemaining(this::reportWindowsKey);
    }

    private void reportWindowsKey(StoredObject o) {
        if (grace.sparesObject(o.lastModified(), sink)) {
            return;
        }
        String uid = layout.windowsInstalledIdentifier(o.key());
        String written = "key uses '\\' as separator (written by a daemon running natively on Windows, whose filepath.Join"
                + " turns '/' into '\\', or by a copy tool that used backslashes)";
        String linux = rawListing != null
                ? "the daemon's GCS storage lists the raw prefix '" + StorageLayout.label(prefix) + "' and reads it as the"
                        + " invalid identifier '" + o.key().substring(StorageLayout.label(prefix).length())
                        + "', logged every 30 s"
                : "a daemon on Linux lists '" + prefix + "' and never sees it";
        String detail = uid == null
                ? written + ", and it does not name a plugin unique identifier: " + linux
                : written + " for plugin " + uid + ": " + linux + ", and it reads the installed copy of " + uid + " from "
                        + prefix + uid + " instead; only a daemon on Windows reads this key. Report-only: we cannot tell"
                        + " whether a daemon on Windows still uses it";
        sink.add(Finding.object(FindingKind.INVALID_INSTALLED_KEY, o.key(), uid, o.version(), detail));
    }

    /** Listed keys that are not the daemon's installed keys (other folders, unparsable), to leave out of counts. */
    public long keysNotInstalled() {
        return otherFolderKeys + unparsableRawKeys + hiddenKeys;
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
        noteRawListing();
    }

    /** Once per scan: what the daemon's raw listing makes of keys that are not installed plugins. */
    private void noteRawListing() {
        if (hiddenKeys > 0) {
            sink.note(hiddenKeys + " hidden object(s) in the installed folder (first: '" + firstHiddenKey + "'), such as a"
                    + " desktop's .DS_Store: the daemon skips every name that starts with '.' right after the prefix it"
                    + " lists, so it never reads or logs them. Not findings, nothing is done about them.");
        }
        String raw = rawListing == null ? null : StorageLayout.label(prefix);
        if (otherFolderKeys > 0) {
            sink.note(otherFolderKeys + " object(s) of other daemon folders (such as " + rawListing.packages() + ") start with '"
                    + raw + "', the raw prefix the daemon's GCS storage lists for installed plugins: the daemon strips '" + raw
                    + "' and reads each as an unparsable identifier ('" + rawListing.packages().substring(raw.length())
                    + "…'), logging it every 30 s. Harmless; not findings, nothing is done about them.");
        }
        if (unparsableRawKeys > 0) {
            sink.note(unparsableRawKeys + " object(s) outside the daemon's folders start with '" + raw + "' (first: '"
                    + firstUnparsableRawKey + "'): the daemon's GCS storage lists them as installed plugins and logs each as"
                    + " an invalid identifier every 30 s. Not findings (they may not be the daemon's), nothing is done about them.");
        }
    }

    private String uidOf(StoredObject o) {
        return o.key().substring(prefix.length());
    }

    /** Reports invalid keys as it goes; lets valid ones through to the merge. */
    private boolean acceptValidKey(StoredObject o) {
        if (rawListing != null && !o.key().startsWith(prefix)) {
            reportRawKey(o);
            return false;
        }
        String rest = o.key().startsWith(prefix) ? o.key().substring(prefix.length()) : o.key();
        if (PluginIdentifier.isValid(rest)) {
            return true;
        }
        if (rest.startsWith(".")) {
            countHidden(o);
            return false;
        }
        if (!grace.sparesObject(o.lastModified(), sink)) {
            sink.add(Finding.object(FindingKind.INVALID_INSTALLED_KEY, o.key(), null, o.version(), describeInvalidKey(rest)));
        }
        return false;
    }

    /** A key the daemon's raw listing returns from outside the installed folder. */
    private void reportRawKey(StoredObject o) {
        if (o.key().startsWith(rawListing.windowsInstalledPrefix())) {
            reportWindowsKey(o);
            return;
        }
        if (rawListing.daemonSeesHiddenRawKey(o.key())) {
            countHidden(o);
            return;
        }
        String uid = rawListing.rawInstalledIdentifier(o.key());
        if (uid != null) {
            if (!grace.sparesObject(o.lastModified(), sink)) {
                String folder = StorageLayout.label(prefix);
                sink.add(Finding.object(FindingKind.INVALID_INSTALLED_KEY, o.key(), null, o.version(), "key has no '/' after '"
                        + folder + "', but the daemon's GCS storage lists the raw prefix '" + folder + "' and reads it as"
                        + " installed plugin " + uid + ": it starts that plugin from " + rawListing.packages() + uid
                        + " and stops it again every 30 s because " + prefix + uid + " does not exist (a start/stop loop)"));
            }
        } else if (rawListing.underAnotherFolder(o.key())) {
            otherFolderKeys++;
        } else {
            unparsableRawKeys++;
            if (firstUnparsableRawKey == null) {
                firstUnparsableRawKey = o.key();
            }
        }
    }

    /**
     * The daemon skips a listed name that starts with '.' (its "hidden files" rule looks only at the part after the
     * prefix it lists): {@code plugin/.DS_Store} is never read or logged, {@code plugin/langgenius/.DS_Store} is.
     */
    private void countHidden(StoredObject o) {
        hiddenKeys++;
        if (firstHiddenKey == null) {
            firstHiddenKey = o.key();
        }
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
