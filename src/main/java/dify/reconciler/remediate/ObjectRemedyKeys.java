package dify.reconciler.remediate;

import dify.reconciler.catalog.AssetReferences;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.PluginIdentifier;
import dify.reconciler.catalog.StorageLayout;

/**
 * Which keys an object remedy touches, from the finding and the daemon's layout, and the check that a plan
 * read back names only such keys (a plan file is input: a key outside its kind's daemon prefix is refused
 * before anything is read or written). Pure.
 */
final class ObjectRemedyKeys {

    /** The object acted on (or the copy's source) and the copy's target (null for a quarantine). */
    record Keys(String key, String targetKey) {
    }

    private ObjectRemedyKeys() {
    }

    static Keys of(Finding f, StorageLayout layout) {
        return switch (f.kind()) {
            case INSTALLED_OBJECT_MISSING -> new Keys(layout.packages() + f.pluginUniqueIdentifier(),
                    layout.installed() + f.pluginUniqueIdentifier());
            case PACKAGE_MISSING -> new Keys(layout.installed() + f.pluginUniqueIdentifier(),
                    layout.packages() + f.pluginUniqueIdentifier());
            // the finding's object is replaced by its verified counterpart under the other prefix
            case INSTALLED_COPY_DIFFERS -> new Keys(layout.packages() + f.pluginUniqueIdentifier(), f.key());
            case CHECKSUM_MISMATCH -> new Keys(f.key().startsWith(layout.installed())
                    ? layout.packages() + f.pluginUniqueIdentifier()
                    : layout.installed() + f.pluginUniqueIdentifier(), f.key());
            // re-created from the package's _assets/ folder
            case ASSET_MISSING -> new Keys(layout.packages() + f.pluginUniqueIdentifier(), f.key());
            default -> new Keys(f.key(), null);
        };
    }

    /** Why the action's keys are not the ones its kind's remedy uses, as a sentence for an error; null when they are. */
    static String refusal(PlannedAction a, StorageLayout layout) {
        String why = problem(a, layout);
        return why == null
                ? null
                : "a " + a.kind().label() + " action on key '" + a.key() + "'"
                        + (a.targetKey() == null ? "" : " to '" + a.targetKey() + "'") + " is not one we make: " + why;
    }

    private static String problem(PlannedAction a, StorageLayout layout) {
        if (a.key() == null) {
            return "no key";
        }
        if (a.observed() == null && a.action() == RemedyAction.QUARANTINE_OBJECT) {
            return "no observed version to compare";
        }
        FindingKind k = a.kind();
        return switch (k) {
            // The folder placeholder (the installed prefix itself, an empty object that S3 consoles and copy tools
            // create) is one: the daemon lists it and logs an empty identifier as invalid every 30 s.
            // On GCS the daemon also reads plugin<identifier> (no slash) as installed: reported, so quarantined too.
            case INVALID_INSTALLED_KEY -> a.targetKey() == null && layout.rawInstalledIdentifier(a.key()) != null
                    ? null
                    : under(a.key(), layout.installed(), Placeholder.ALLOWED, false, a.targetKey());
            case INSTALLED_OBJECT_ORPHANED -> under(a.key(), layout.installed(), Placeholder.REFUSED, true, a.targetKey());
            case PACKAGE_ORPHANED -> under(a.key(), layout.packages(), Placeholder.REFUSED, true, a.targetKey());
            case ASSET_ORPHANED -> under(a.key(), layout.assets(), Placeholder.REFUSED, false, a.targetKey());
            case INSTALLED_OBJECT_MISSING -> toAbsent(a, layout.packages(), layout.installed());
            case PACKAGE_MISSING -> toAbsent(a, layout.installed(), layout.packages());
            case INSTALLED_COPY_DIFFERS -> replace(a, layout.packages(), layout.installed());
            case CHECKSUM_MISMATCH -> a.targetKey() != null && a.targetKey().startsWith(layout.installed())
                    ? replace(a, layout.packages(), layout.installed())
                    : replace(a, layout.installed(), layout.packages());
            case ASSET_MISSING -> asset(a, layout);
            default -> "no object remedy for this kind";
        };
    }

    /** Whether the prefix's own folder placeholder object is a key the kind's remedy acts on. */
    private enum Placeholder {
        ALLOWED,
        REFUSED
    }

    private static String under(String key, String prefix, Placeholder placeholder, boolean identifier, String targetKey) {
        if (targetKey != null) {
            return "a quarantine has no target key";
        }
        if (!key.startsWith(prefix) || (key.length() == prefix.length() && placeholder == Placeholder.REFUSED)) {
            return "not under " + prefix;
        }
        String rest = key.substring(prefix.length());
        if (identifier && !PluginIdentifier.isValid(rest)) {
            return "not " + prefix + " followed by a plugin unique identifier";
        }
        return null;
    }

    private static String asset(PlannedAction a, StorageLayout layout) {
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

    /** A copy to a missing key: it must not carry a version to replace (it never overwrites). */
    private static String toAbsent(PlannedAction a, String from, String to) {
        if (a.observed() != null) {
            return "a copy to a missing key replaces nothing, so it has no observed version";
        }
        return copy(a, from, to);
    }

    /** A copy over the finding's object: its observed version is what may be replaced (after quarantine). */
    private static String replace(PlannedAction a, String from, String to) {
        if (a.observed() == null) {
            return "no observed version of the object to replace";
        }
        return copy(a, from, to);
    }

    private static String copy(PlannedAction a, String from, String to) {
        String uid = a.pluginUniqueIdentifier();
        if (uid == null || !PluginIdentifier.isValid(uid)) {
            return "no valid plugin unique identifier";
        }
        if (!(from + uid).equals(a.key()) || !(to + uid).equals(a.targetKey())) {
            return "the copy must go from " + from + uid + " to " + to + uid;
        }
        return null;
    }
}
