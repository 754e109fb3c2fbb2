package dify.reconciler.catalog;

import java.util.Locale;

/** How urgent a finding is. Ordered from least to most severe, so {@code compareTo} ranks them. */
public enum Severity {
    INFO,
    WARNING,
    CRITICAL;

    /** The lower-case name used in reports, metric labels and configuration ({@code info|warning|critical}). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code info|warning|critical} (any case); anything else is an error naming the accepted values. */
    public static Severity parse(String text) {
        for (Severity s : values()) {
            if (s.label().equalsIgnoreCase(text == null ? "" : text.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown severity '" + text + "' (expected one of info, warning, critical)");
    }

    public boolean atLeast(Severity other) {
        return compareTo(other) >= 0;
    }
}
