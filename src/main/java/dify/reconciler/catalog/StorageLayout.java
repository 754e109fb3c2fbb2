package dify.reconciler.catalog;

/**
 * Where the daemon keeps things in its bucket: {@code PLUGIN_PACKAGE_CACHE_PATH}, {@code PLUGIN_INSTALLED_PATH},
 * {@code PLUGIN_MEDIA_CACHE_PATH}, {@code PERSISTENCE_STORAGE_PATH}. Each prefix is normalised to end with
 * exactly one {@code /}, so {@code plugin/} never matches {@code plugin_packages/…}.
 *
 * @param daemonListsRawPrefixes whether the daemon's storage lists a prefix as the raw string, without the
 *        {@code /} (its GCS backend: {@code List("plugin")} then strips {@code plugin} and at most one {@code /}), so
 *        keys outside the installed folder that start with its name are read as installed plugins too
 */
public record StorageLayout(String packages, String installed, String assets, String persistence, boolean daemonListsRawPrefixes) {

    public static final StorageLayout DEFAULT = of("plugin_packages", "plugin", "assets", "persistence");

    public static StorageLayout of(String packages, String installed, String assets, String persistence) {
        return new StorageLayout(folder(packages, "PLUGIN_PACKAGE_CACHE_PATH"), folder(installed, "PLUGIN_INSTALLED_PATH"),
                folder(assets, "PLUGIN_MEDIA_CACHE_PATH"), folder(persistence, "PERSISTENCE_STORAGE_PATH"), false);
    }

    /** This layout as a daemon whose storage lists raw prefixes (GCS) reads it. */
    public StorageLayout listedAsRawPrefixes() {
        return new StorageLayout(packages, installed, assets, persistence, true);
    }

    /** What the daemon lists to find its installed plugins: the folder, or the raw prefix (no {@code /}) on GCS. */
    public String installedListing() {
        return daemonListsRawPrefixes ? label(installed) : installed;
    }

    /**
     * The prefix under which a daemon running natively on Windows (or a copy tool that used backslashes) writes installed
     * copies: Go's {@code filepath.Join} there turns every {@code /} into {@code \}, so {@code plugin/langgenius/x:1@c}
     * is stored as {@code plugin\langgenius\x:1@c}. A daemon on Linux never lists these keys (it lists
     * {@code plugin/}) and looks for {@code plugin/<identifier>} instead.
     */
    public String windowsInstalledPrefix() {
        return label(installed).replace('/', '\\') + "\\";
    }

    /**
     * The identifier a key under {@link #windowsInstalledPrefix()} was written for ({@code langgenius/x:1@c} for
     * {@code plugin\langgenius\x:1@c}), when it is one; null otherwise.
     */
    public String windowsInstalledIdentifier(String key) {
        String prefix = windowsInstalledPrefix();
        if (!key.startsWith(prefix)) {
            return null;
        }
        String uid = key.substring(prefix.length()).replace('\\', '/');
        return PluginIdentifier.isValid(uid) ? uid : null;
    }

    /**
     * The plugin identifier a daemon that lists raw prefixes reads as installed from a key outside the installed folder
     * ({@code plugin<identifier>}: the raw prefix, then a valid identifier, outside every other daemon folder); null for
     * every other key, and always on a daemon that lists folders.
     */
    public String rawInstalledIdentifier(String key) {
        String raw = label(installed);
        if (!daemonListsRawPrefixes || !key.startsWith(raw) || key.startsWith(installed) || underAnotherFolder(key)) {
            return null;
        }
        String rest = key.substring(raw.length());
        return PluginIdentifier.isValid(rest) ? rest : null;
    }

    /**
     * Whether the daemon's raw listing (GCS) skips {@code key} as hidden: it strips the raw prefix {@code plugin} and at
     * most one '/', and skips what is left when it starts with '.' ({@code plugin.DS_Store}).
     */
    public boolean daemonSeesHiddenRawKey(String key) {
        String raw = label(installed);
        if (!daemonListsRawPrefixes || !key.startsWith(raw) || underAnotherFolder(key)) {
            return false;
        }
        String rest = key.substring(raw.length());
        return (rest.startsWith("/") ? rest.substring(1) : rest).startsWith(".");
    }

    /** Whether {@code key} is under the packages, assets or persistence folder. */
    public boolean underAnotherFolder(String key) {
        return key.startsWith(packages) || key.startsWith(assets) || key.startsWith(persistence);
    }

    private static String folder(String path, String setting) {
        String p = path == null ? "" : path.trim();
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.isEmpty()) {
            throw new IllegalArgumentException(setting + " must not be empty");
        }
        return p + "/";
    }

    /** Metric/report label for a prefix: its folder name without the slash. */
    public static String label(String prefix) {
        return prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }
}
