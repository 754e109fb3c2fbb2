package dify.reconciler.declaration;

import java.util.Map;

/**
 * A part of the declaration ({@code tool}, {@code model}, ...; empty for the whole declaration) that the daemon sends
 * in one of its management lists, the Dify page that shows that list, the model Dify parses it with, and the other
 * parts of the declaration the same list carries ({@code also}: root field to model, e.g. the agent strategies list
 * sends the plugin's {@code meta} with each provider).
 */
record ListPage(String key, FailingPage failing, String model, Map<String, String> also) {

    boolean wholeDeclaration() {
        return key.isEmpty();
    }
}
