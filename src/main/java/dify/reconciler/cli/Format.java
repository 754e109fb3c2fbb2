package dify.reconciler.cli;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --format json|text}, in any case ({@code JSON} too), as the commands have always accepted it. */
enum Format {
    JSON,
    TEXT;

    /** Reads the option's value (picocli names the option in its message). */
    static final class Converter implements ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            String format = value.toLowerCase(Locale.ROOT);
            return switch (format) {
                case "json" -> JSON;
                case "text" -> TEXT;
                default -> throw new TypeConversionException("expected json or text, not '" + format + "'");
            };
        }
    }
}
