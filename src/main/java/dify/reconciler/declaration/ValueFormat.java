package dify.reconciler.declaration;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Value checks Dify applies in field validators that a regular expression in the rules file cannot say by name: a
 * {@code format} in {@code declaration-rules.json} names one of these.
 */
enum ValueFormat {

    /**
     * What {@code packaging.version.Version} accepts (PEP 440, the spec's own grammar, case-insensitive, surrounding
     * blanks allowed): Dify's {@code PluginDeclaration} validates {@code version} and {@code meta.minimum_dify_version}
     * with it. The daemon's own version rule ({@code 1.2.3-suffix}) is wider: {@code 0.0.1-fix} passes the daemon and
     * fails here, while {@code 1.0.0-beta1} and {@code 1.0.0-1} pass both.
     */
    PEP440_VERSION("a PEP 440 version") {
        private static final Pattern VERSION = Pattern.compile("\\s*v?(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)*"
                + "(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?"
                + "(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?"
                + "(?:[-_.]?dev[-_.]?[0-9]*)?"
                + "(?:\\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?\\s*", Pattern.CASE_INSENSITIVE);

        @Override
        boolean accepts(String value) {
            return VERSION.matcher(value).matches();
        }
    };

    private final String description;

    ValueFormat(String description) {
        this.description = description;
    }

    abstract boolean accepts(String value);

    /** What a value must be, for a violation's "expected". */
    String description() {
        return description;
    }

    /** The format a rules file names ({@code pep440_version}); unknown names fail when the rules are read. */
    static ValueFormat named(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(DeclarationRules.RESOURCE + " names unknown format '" + name + "'", e);
        }
    }
}
