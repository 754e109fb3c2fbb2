package dify.reconciler.inventory.storage;

import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The daemon's own storage variables ({@code AZURE_BLOB_STORAGE_*}, {@code GCS_CREDENTIALS}, {@code ALIYUN_OSS_*},
 * …), read by each backend's settings class under the daemon's exact names. Values are trimmed and a blank value is
 * absent, as for every daemon variable we read. {@link #toString()} names no value: most of these are secrets.
 */
public final class StorageVariables {

    private final Function<String, Optional<String>> lookup;

    public StorageVariables(Function<String, Optional<String>> lookup) {
        this.lookup = name -> lookup.apply(name).map(String::trim).filter(v -> !v.isEmpty());
    }

    /** The variable's trimmed value, empty when unset or blank. */
    public Optional<String> get(String name) {
        return lookup.apply(name);
    }

    /** The variable's value, or {@code fallback} when unset or blank. */
    public String get(String name, String fallback) {
        return get(name).orElse(fallback);
    }

    /**
     * The variable's value.
     *
     * @throws IllegalArgumentException naming the variable (never a value) and saying what it is for
     */
    public String require(String name, String what) {
        return get(name).orElseThrow(() -> new IllegalArgumentException(name + " is not set: " + what));
    }

    /** One of the daemon's booleans (Go's strconv.ParseBool spellings), {@code fallback} when unset. */
    public boolean flag(String name, boolean fallback) {
        return get(name).map(v -> parseBoolean(name, v)).orElse(fallback);
    }

    @Override
    public String toString() {
        return "StorageVariables[values hidden]";
    }

    /** Every spelling the daemon's Go strconv.ParseBool accepts (t, f, 1, 0, true, false), plus yes/no/on/off. */
    public static boolean parseBoolean(String name, String value) {
        switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "t", "1", "yes", "on":
                return true;
            case "false", "f", "0", "no", "off":
                return false;
            default:
                throw new IllegalArgumentException(name + "='" + value + "' is not a boolean (true/false)");
        }
    }
}
