package dify.reconciler.catalog;

import java.util.regex.Pattern;

/**
 * The daemon's plugin unique identifier, {@code [author/]name:version@checksum}, and its validation rule
 * (the daemon's own regular expression, so we reject exactly what the daemon rejects).
 */
public final class PluginIdentifier {

    /** Copied in meaning from the daemon's validation; {@code \w} is ASCII-only in both Go and Java. */
    private static final Pattern VALID = Pattern.compile(
            "^(?:([a-z0-9_-]{1,64})/)?([a-z0-9_-]{1,255}):([0-9]{1,4})(\\.[0-9]{1,4}){1,3}(-\\w{1,16})?@[a-f0-9]{32,64}$");

    private PluginIdentifier() {
    }

    /** True when the daemon would accept {@code candidate} as a plugin unique identifier. */
    public static boolean isValid(String candidate) {
        return candidate != null && VALID.matcher(candidate).matches();
    }

    /**
     * The {@code plugin_id} part ({@code author/name}): everything before the first {@code :}. For a string
     * without a colon, everything before {@code @} (best effort for broken identifiers); null for null.
     */
    public static String pluginIdOf(String uid) {
        if (uid == null) {
            return null;
        }
        int colon = uid.indexOf(':');
        if (colon >= 0) {
            return uid.substring(0, colon);
        }
        int at = uid.indexOf('@');
        return at >= 0 ? uid.substring(0, at) : uid;
    }

    /** Builds an identifier from its parts; {@code author} may be null or empty. */
    public static String of(String author, String name, String version, String checksum) {
        String prefix = author == null || author.isEmpty() ? "" : author + "/";
        return prefix + name + ":" + version + "@" + checksum;
    }
}
