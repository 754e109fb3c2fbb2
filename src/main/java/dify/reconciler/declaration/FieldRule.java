package dify.reconciler.declaration;

import java.util.List;
import java.util.regex.Pattern;

/**
 * What one field must be: its JSON type, whether it must be present, whether it may be {@code null}, the values it may
 * take (an enum, a regular expression the whole string must match, or a named format), and the model its object (or
 * each list item) must satisfy.
 *
 * @param nullAllowed pydantic's {@code X | None}: a required field that must be present but may be null, or a field
 *                    with a default that must not be null ({@code list[X] = []} rejects an explicit null)
 */
record FieldRule(String type, boolean required, boolean nullAllowed, List<String> allowed, Pattern pattern,
        ValueFormat format, String model, FieldRule items) {

    /** A field that must be present and not null, of {@code type}, satisfying {@code model}. */
    static FieldRule requiredObject(String model) {
        return new FieldRule("object", true, false, List.of(), null, null, model, null);
    }
}
