package dify.reconciler.declaration;

import java.util.List;
import java.util.Map;

/** The rules of one pydantic model: its fields in declaration order, and its cross-field rules. */
record ModelRules(Map<String, FieldRule> fields, List<OnlyWhenRule> onlyWhen) {
}
