package dify.reconciler.docs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Internal links of markdown pages: {@code [text](path)}, {@code [text](path#anchor)} and {@code [text](#anchor)}
 * outside code blocks and code spans. A link with a scheme ({@code https:}, {@code mailto:}) is external and not
 * checked. The path is resolved against the page's folder and must exist inside the repository; an anchor must be
 * the GitHub anchor of a heading of the target page (lower case, every character but letters, digits, {@code _},
 * {@code -} and spaces dropped, spaces turned into {@code -}, a repeated heading suffixed {@code -1}, {@code -2}, …).
 */
final class MarkdownLinks {

    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
    private static final Pattern CODE_SPAN = Pattern.compile("`[^`]*`");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");

    private MarkdownLinks() {
    }

    /**
     * Every broken internal link of {@code page}, as {@code file:line: message}.
     *
     * @param root the repository (links may not leave it)
     * @param page the markdown file, under root
     * @param text its content
     * @param read reads another markdown page, for its headings
     */
    static List<String> broken(Path root, Path page, String text, Function<Path, String> read) {
        List<String> problems = new ArrayList<>();
        Map<Path, Set<String>> anchors = new HashMap<>();
        String[] lines = text.split("\n", -1);
        boolean fenced = false;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            Matcher link = LINK.matcher(CODE_SPAN.matcher(lines[i]).replaceAll(""));
            while (link.find()) {
                String target = link.group(1);
                if (SCHEME.matcher(target).find()) {
                    continue;
                }
                int hash = target.indexOf('#');
                String path = hash < 0 ? target : target.substring(0, hash);
                String anchor = hash < 0 ? null : target.substring(hash + 1);
                Path resolved = path.isEmpty() ? page : page.getParent().resolve(path).normalize();
                String where = root.relativize(page) + ":" + (i + 1) + ": link (" + target + ")";
                if (!resolved.startsWith(root) || !Files.exists(resolved)) {
                    problems.add(where + " points at " + root.relativize(resolved.toAbsolutePath().normalize()) + ", which does not exist");
                } else if (anchor != null) {
                    if (!resolved.toString().endsWith(".md")) {
                        problems.add(where + " has an anchor into a file that is not markdown");
                    } else if (!anchors.computeIfAbsent(resolved, p -> headings(p.equals(page) ? text : read.apply(p))).contains(anchor)) {
                        problems.add(where + ": " + root.relativize(resolved) + " has no heading whose anchor is #" + anchor);
                    }
                }
            }
        }
        return problems;
    }

    /** The GitHub anchors of a page's headings (outside code blocks). */
    static Set<String> headings(String markdown) {
        Set<String> anchors = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean fenced = false;
        for (String line : markdown.split("\n", -1)) {
            if (line.startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            Matcher h = HEADING.matcher(line);
            if (!fenced && h.matches()) {
                String slug = slug(h.group(1));
                int n = seen.merge(slug, 1, Integer::sum) - 1;
                anchors.add(n == 0 ? slug : slug + "-" + n);
            }
        }
        return anchors;
    }

    /** GitHub's heading anchor: {@code The daemon's variables} → {@code the-daemons-variables}. */
    static String slug(String heading) {
        return heading.trim().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{M}\\p{N}\\p{Pc} -]", "").replace(' ', '-');
    }
}
