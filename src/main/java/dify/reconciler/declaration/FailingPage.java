package dify.reconciler.declaration;

/**
 * A Dify page that fails to load because of a violation, and the daemon request behind it.
 *
 * @param page the page, e.g. {@code Tools}
 * @param list the daemon request Dify cannot parse, e.g. {@code GET plugin/{tenant}/management/tools}
 */
public record FailingPage(String page, String list) {

    @Override
    public String toString() {
        return page + " (" + list + ")";
    }
}
