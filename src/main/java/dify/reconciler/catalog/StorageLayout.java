package dify.reconciler.catalog;

/**
 * Where the daemon keeps things in its bucket: {@code PLUGIN_PACKAGE_CACHE_PATH}, {@code PLUGIN_INSTALLED_PATH},
 * {@code PLUGIN_MEDIA_CACHE_PATH}, {@code PERSISTENCE_STORAGE_PATH}. Each prefix is normalised to end with
 * exactly one {@code /}, so {@code plugin/} never matches {@code plugin_packages/…}.
 */
public record StorageLayout(String packages, String installed, String assets, String persistence) {

    public static final StorageLayout DEFAULT = of("plugin_packages", "plugin", "assets", "persistence");

    public static StorageLayout of(String packages, String installed, String assets, String persistence) {
        return new StorageLayout(folder(packages, "PLUGIN_PACKAGE_CACHE_PATH"), folder(installed, "PLUGIN_INSTALLED_PATH"),
                folder(assets, "PLUGIN_MEDIA_CACHE_PATH"), folder(persistence, "PERSISTENCE_STORAGE_PATH"));
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
