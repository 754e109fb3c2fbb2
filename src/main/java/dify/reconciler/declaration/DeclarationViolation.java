package dify.reconciler.declaration;

/**
 * One way a stored declaration breaks a rule Dify's API applies when it parses a management list.
 *
 * @param path     where, as a JSON path from the declaration's root, e.g. {@code tool.tools[6].parameters[0].multiple}
 * @param rule     which rule: {@code required}, {@code type}, {@code enum}, or a named conditional rule such as
 *                 {@code multiple_only_for_select}
 * @param expected what Dify expects there
 * @param found    what the declaration holds there
 * @param page     the Dify page whose list fails (e.g. {@code Tools})
 * @param list     the daemon request that Dify cannot parse (e.g. {@code GET plugin/{tenant}/management/tools})
 */
public record DeclarationViolation(String path, String rule, String expected, String found, String page, String list) {

    /** One sentence: where, which rule, expected and found. */
    public String describe() {
        return path + " breaks rule '" + rule + "': expected " + expected + ", found " + found;
    }
}
