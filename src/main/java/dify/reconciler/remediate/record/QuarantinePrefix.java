package dify.reconciler.remediate.record;

import dify.reconciler.catalog.StorageLayout;
import java.util.List;

/**
 * {@code reconciler.remediation.quarantine-prefix}: where objects' old bytes are kept, as {@code prefix +
 * original key}. It must be a relative key prefix ending in {@code /} and lie outside every daemon prefix, compared
 * as RAW strings: the daemon's GCS backend lists {@code plugin} without a slash, so {@code plugin_reconciler/}
 * would be read as broken installed keys. A daemon prefix that starts with ours is refused too (our copies would
 * then be under a folder the daemon owns, e.g. {@code data/} with {@code PLUGIN_INSTALLED_PATH=data/plugin}).
 */
public record QuarantinePrefix(String value) {

    public static final String SETTING = "reconciler.remediation.quarantine-prefix";

    /** Validates {@code setting} against the daemon's layout; throws IllegalArgumentException naming the setting. */
    public static QuarantinePrefix of(String setting, StorageLayout layout) {
        String p = setting == null ? "" : setting;
        String why = problem(p, layout);
        if (why != null) {
            throw new IllegalArgumentException(SETTING + "='" + p + "' is refused: " + why);
        }
        return new QuarantinePrefix(p);
    }

    /** The quarantine key of an object: the original key is kept as the suffix. */
    public String keyFor(String originalKey) {
        return value + originalKey;
    }

    private static String problem(String p, StorageLayout layout) {
        if (p.isBlank()) {
            return "it must not be empty";
        }
        if (!p.endsWith("/") || p.startsWith("/") || p.contains("//") || p.contains("\\") || !p.strip().equals(p)) {
            return "it must be a relative key prefix ending in '/', like reconciler-quarantine/";
        }
        for (String segment : p.substring(0, p.length() - 1).split("/")) {
            if (segment.equals(".") || segment.equals("..")) {
                return "it must not contain '.' or '..' segments";
            }
        }
        for (String daemon : List.of(layout.packages(), layout.installed(), layout.assets(), layout.persistence())) {
            String raw = StorageLayout.label(daemon);
            if (p.startsWith(raw)) {
                return "it starts with the daemon's prefix '" + raw + "' (compared as raw strings, as the daemon's GCS"
                        + " backend lists them), so the daemon would read our copies as its own objects";
            }
            if (raw.startsWith(p)) {
                return "the daemon's prefix '" + raw + "' starts with it";
            }
        }
        if (p.startsWith(dify.reconciler.inventory.storage.LocalObjectStorage.TEMPORARY_FOLDER)) {
            return "it is the local storage's staging folder";
        }
        return null;
    }
}
