package dify.reconciler.declaration;

import java.util.List;

/** {@code field} may hold {@code value} only when {@code when} is one of {@code in} (a pydantic model validator). */
record OnlyWhenRule(String rule, String field, boolean value, String when, List<String> in) {
}
