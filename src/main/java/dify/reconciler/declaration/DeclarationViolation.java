package dify.reconciler.declaration;

import java.util.List;

/**
 * One way a stored declaration breaks a rule Dify's API applies when it parses a management list.
 *
 * @param path     where, as a JSON path from the declaration's root, e.g. {@code tool.tools[6].parameters[0].multiple}
 * @param rule     which rule: {@code required}, {@code type}, {@code enum}, {@code pattern}, {@code format}, or a named
 *                 conditional rule such as {@code multiple_only_for_select}
 * @param expected what Dify expects there
 * @param found    what the declaration holds there
 * @param pages    every Dify page whose list fails because of it (a provider's identity is parsed by its own page and
 *                 by the Plugins page), in the rules file's order
 */
public record DeclarationViolation(String path, String rule, String expected, String found, List<FailingPage> pages) {

    /** One sentence: where, which rule, expected and found. */
    public String describe() {
        return path + " breaks rule '" + rule + "': expected " + expected + ", found " + found;
    }
}
