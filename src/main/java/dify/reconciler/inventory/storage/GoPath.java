package dify.reconciler.inventory.storage;

/**
 * Go's {@code path.Clean} and {@code path.Join} (package {@code path}, slash-separated paths), ported rule for rule:
 * the daemon's Aliyun storage stores every key K at {@code path.Join(ALIYUN_OSS_PATH, K)}, so where an object lives
 * depends on exactly these rules (repeated slashes collapse, {@code .} segments vanish, {@code ..} removes the
 * segment before it, a trailing slash is dropped).
 */
public final class GoPath {

    private GoPath() {
    }

    /**
     * The shortest path equivalent to {@code path} by purely lexical processing: replace multiple slashes with one,
     * eliminate each {@code .} element, eliminate each inner {@code ..} and the non-{@code ..} element before it,
     * eliminate {@code ..} elements that begin a rooted path; the result ends in a slash only if it is the root
     * {@code /}. An empty result is {@code .}.
     */
    public static String clean(String path) {
        if (path.isEmpty()) {
            return ".";
        }
        boolean rooted = path.charAt(0) == '/';
        int n = path.length();
        StringBuilder out = new StringBuilder(n);
        int r = 0;
        // dotdot: the index in out where .. must stop backtracking (after the root, or after leading ..s)
        int dotdot = 0;
        if (rooted) {
            out.append('/');
            r = 1;
            dotdot = 1;
        }
        while (r < n) {
            if (path.charAt(r) == '/') {
                r++; // empty element
            } else if (path.charAt(r) == '.' && (r + 1 == n || path.charAt(r + 1) == '/')) {
                r++; // . element
            } else if (path.charAt(r) == '.' && path.charAt(r + 1) == '.' && (r + 2 == n || path.charAt(r + 2) == '/')) {
                r += 2; // .. element: remove to the last /
                if (out.length() > dotdot) {
                    int w = out.length() - 1;
                    while (w > dotdot && out.charAt(w) != '/') {
                        w--;
                    }
                    out.setLength(w);
                } else if (!rooted) {
                    // cannot backtrack: keep the ..
                    if (out.length() > 0) {
                        out.append('/');
                    }
                    out.append("..");
                    dotdot = out.length();
                }
            } else {
                // a real element: add a slash if needed, then copy it
                if ((rooted && out.length() != 1) || (!rooted && out.length() != 0)) {
                    out.append('/');
                }
                while (r < n && path.charAt(r) != '/') {
                    out.append(path.charAt(r));
                    r++;
                }
            }
        }
        return out.length() == 0 ? "." : out.toString();
    }

    /**
     * Joins the elements with slashes and {@link #clean cleans} the result; empty elements are ignored, and the
     * result is empty when every element is.
     */
    public static String join(String... elements) {
        StringBuilder joined = new StringBuilder();
        boolean any = false;
        for (String e : elements) {
            if (e.isEmpty()) {
                continue;
            }
            if (any) {
                joined.append('/');
            }
            joined.append(e);
            any = true;
        }
        return any ? clean(joined.toString()) : "";
    }
}
