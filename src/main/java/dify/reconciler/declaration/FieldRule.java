package dify.reconciler.declaration;

import java.util.List;

/**
 * What one field must be: its JSON type, whether it must be present and non-null, the values it may take, and the
 * model its object (or each list item) must satisfy.
 */
record FieldRule(String type, boolean required, List<String> allowed, String model, FieldRule items) {
}
