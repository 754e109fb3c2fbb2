package dify.reconciler.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.remediate.planner.Remedies;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The documentation and the code name the same settings, and the manual's internal links resolve. Runs in the default
 * suite, reads files only (no server), well under a second.
 *
 * <p>The rule, precisely:
 * <ul>
 * <li><b>Settings in the code</b> ({@link CodeSettings}): the {@code reconciler.*} leaves of every {@code @ConfigMapping}
 * interface in {@code src/main/java} (kebab-case method names or {@code @WithName}, nested groups joined with {@code .}),
 * every {@code @ConfigProperty(name = "reconciler.…")}, and the daemon's variables: every upper-case string literal
 * passed first to a method named {@code apply}, {@code get}, {@code require} or {@code flag} in {@code src/main/java},
 * and every {@code ${NAME}} of {@code application.properties}. A variable read any other way (through a constant, say)
 * is not seen: read variables by their literal name.
 * <li><b>Documented</b>: a name in backticks in the first cell of a table row of {@code docs/configuration.md}
 * ({@code reconciler.…} names are settings, other upper-case names variables, {@code RECONCILER_…} names must be the
 * environment form of a setting).
 * <li>Every setting and variable of the code is documented; every documented one is in the code; every
 * {@code reconciler.…} name or {@code RECONCILER_…} variable anywhere in {@code README.md} and {@code docs/*.md} is a
 * setting, a group of settings, the environment form (or its prefix) of one, or a variable of
 * {@code k8s/helm/post-renderer.sh}.
 * <li>Every relative link and {@code #anchor} in {@code README.md} and {@code docs/*.md} resolves ({@link MarkdownLinks}).
 * <li>Every test the pages name in backticks ({@code `FooTest`}, {@code `FooIT`}, {@code `FooTest.method`}: a
 * CamelCase name ending in {@code Test} or {@code IT}) is a class under {@code src/test/java}, with that method: the
 * guarantees table cites its proofs by these names.
 * </ul>
 * The failure messages name the setting and the file and table to document it in, or the page, line and broken link.
 */
class DocumentationTest {

    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path CONFIGURATION = ROOT.resolve(SettingsDocumentation.CONFIGURATION);

    @Test
    void everySettingTheCodeReadsIsDocumented() {
        CodeSettings code = code();
        List<String> problems = SettingsDocumentation.undocumented(code, documented(read(CONFIGURATION)));
        assertTrue(problems.isEmpty(), () -> "undocumented settings:\n" + String.join("\n", problems));
    }

    @Test
    void everyDocumentedSettingIsReadByTheCode() {
        CodeSettings code = code();
        List<String> problems = new ArrayList<>(SettingsDocumentation.stale(code, documented(read(CONFIGURATION))));
        Set<String> postRenderer = postRendererVariables();
        for (Path page : pages()) {
            problems.addAll(SettingsDocumentation.unknownMentions(ROOT.relativize(page).toString(), read(page), code, postRenderer));
        }
        assertTrue(problems.isEmpty(), () -> "documented settings the code does not have:\n" + String.join("\n", problems));
    }

    @Test
    void everyInternalLinkResolves() {
        List<String> problems = new ArrayList<>();
        for (Path page : pages()) {
            problems.addAll(MarkdownLinks.broken(ROOT, page, read(page), DocumentationTest::read));
        }
        assertTrue(problems.isEmpty(), () -> "broken links:\n" + String.join("\n", problems));
    }

    @Test
    void everyTestTheDocumentationNamesExists() {
        List<String> problems = new ArrayList<>();
        Map<String, String> tests = testSources();
        for (Path page : pages()) {
            problems.addAll(missingTests(ROOT.relativize(page).toString(), read(page), tests));
        }
        assertTrue(problems.isEmpty(), () -> "tests the documentation names that do not exist:\n" + String.join("\n", problems));
        List<String> renamed = missingTests("x.md", "proven by `LeastPrivilegeIT`, `RemediationTest.noSuchMethod` and `NoSuchTest`", tests);
        assertEquals(List.of("x.md:1 names the test RemediationTest.noSuchMethod, but RemediationTest has no method noSuchMethod",
                "x.md:1 names the test NoSuchTest, which is no class under src/test/java"), renamed);
    }

    /** The discovery is not vacuous: it finds settings of every kind of source the rule names. */
    /**
     * The remedy table of remediation.md says, per kind, the action taken: exactly the kinds that have a remedy, each
     * with the action its remedy takes, so the manual cannot promise a repair the code does not make (or miss one).
     */
    @Test
    void theRemedyTableListsExactlyTheRemediesTheCodeHas() {
        String page = read(ROOT.resolve("docs/remediation.md"));
        Map<FindingKind, String> documented = new TreeMap<>();
        Pattern row = Pattern.compile("^\\| (`[a-z_]+`(?:, `[a-z_]+`)*)[^|]* \\| `([a-z_]+)`", Pattern.MULTILINE);
        Matcher m = row.matcher(page.substring(page.indexOf("| kind | remedy |")));
        while (m.find()) {
            for (String kind : m.group(1).replace("`", "").split(", ")) {
                documented.put(FindingKind.parse(kind), m.group(2));
            }
        }
        Map<FindingKind, String> code = new TreeMap<>();
        for (FindingKind k : Remedies.remediableKinds()) {
            code.put(k, Remedies.remedyFor(k).orElseThrow().label());
        }
        assertEquals(code, documented);
    }

    @Test
    void theCodeSettingsAreFoundInEveryKindOfSource() {
        CodeSettings code = code();
        for (String s : List.of("reconciler.grace-period", "reconciler.remediation.dry-run", "reconciler.remediation.max-actions-per-run",
                "reconciler.state.schema", "reconciler.s3.request-timeout", "reconciler.health.check-timeout",
                "reconciler.leader.statement-timeout", "reconciler.api.token", "reconciler.mode")) {
            assertTrue(code.settings().containsKey(s), s + " not found among " + code.settings().keySet());
        }
        for (String v : List.of("DB_HOST", "DB_TYPE", "PLUGIN_STORAGE_TYPE", "REDIS_SENTINELS", "DB_PASSWORD", "PORT")) {
            assertTrue(code.variables().containsKey(v), v + " not found among " + code.variables().keySet());
        }
        assertEquals("RECONCILER_API_MUTATING_ON", CodeSettings.environmentForm("reconciler.api.mutating-on"));
        assertEquals("max-actions-per-run", CodeSettings.kebab("maxActionsPerRun"));
    }

    /** A setting whose row is removed is reported with the file and table to add it to, and its default. */
    @Test
    void aMissingRowIsReportedWithWhereToDocumentIt() {
        CodeSettings code = code();
        String page = read(CONFIGURATION);
        List<String> before = SettingsDocumentation.undocumented(code, documented(page));
        String withoutShare = withoutRowOf(page, "`reconciler.remediation.max-share`");
        List<String> problems = added(before, SettingsDocumentation.undocumented(code, documented(withoutShare)));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("reconciler.remediation.max-share (RECONCILER_REMEDIATION_MAX_SHARE)"), problems.get(0));
        assertTrue(problems.get(0).contains("add a row to the table under \"## Our own settings\" in docs/configuration.md:"
                + " | `reconciler.remediation.max-share` | `0.1` |"), problems.get(0));

        String withoutIdentity = withoutRowOf(page, "`REDIS_USE_AZURE_MANAGED_IDENTITY`");
        problems = added(before, SettingsDocumentation.undocumented(code, documented(withoutIdentity)));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("the daemon's variable REDIS_USE_AZURE_MANAGED_IDENTITY, read at src/main/java/"),
                problems.get(0));
        assertTrue(problems.get(0).contains("the table under \"## The daemon's variables\" in docs/configuration.md"), problems.get(0));
    }

    /** A documented name the code does not read is reported with its line, in the tables and in prose. */
    @Test
    void aNameTheCodeDoesNotReadIsReported() {
        CodeSettings code = code();
        String page = read(CONFIGURATION);
        String extended = page + "\n| `reconciler.no-such.setting` | unset | where |\n| `AZURE_BLOB_STORAGE_X` | - | x |\n";
        List<String> problems = added(SettingsDocumentation.stale(code, documented(page)),
                SettingsDocumentation.stale(code, documented(extended)));
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("documents reconciler.no-such.setting, which no @ConfigMapping"), problems.get(0));
        assertTrue(problems.get(1).contains("documents the variable AZURE_BLOB_STORAGE_X, which nothing in src/main reads"),
                problems.get(1));
        List<String> prose = SettingsDocumentation.unknownMentions("x.md",
                "set `reconciler.remediation.dry-runn` or RECONCILER_REMEDIATION_KIND, not plugin-reconciler.rules.yml", code, Set.of());
        assertEquals(2, prose.size(), prose.toString());
        assertTrue(prose.get(0).startsWith("x.md:1 names reconciler.remediation.dry-runn"), prose.get(0));
        assertTrue(prose.get(1).startsWith("x.md:1 names RECONCILER_REMEDIATION_KIND,"), prose.get(1));
    }

    /** A link to a missing page, or to a heading that is not there, is reported with its page and line. */
    @Test
    void aBrokenLinkOrAnchorIsReported() {
        Path readme = ROOT.resolve("README.md");
        String original = read(readme);
        String text = original.replace("(docs/configuration.md)", "(docs/configuraton.md)")
                .replace("(docs/deploying.md#least-privilege-per-mode)", "(docs/deploying.md#least-privilege)");
        assertNotEquals(original, text, "README.md no longer links docs/configuration.md or #least-privilege-per-mode");
        List<String> problems = added(MarkdownLinks.broken(ROOT, readme, original, DocumentationTest::read),
                MarkdownLinks.broken(ROOT, readme, text, DocumentationTest::read));
        assertTrue(problems.stream().anyMatch(p -> p.matches("README\\.md:\\d+: link \\(docs/configuraton\\.md\\) points at"
                + " docs/configuraton\\.md, which does not exist")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.matches("README\\.md:\\d+: link \\(docs/deploying\\.md#least-privilege\\):"
                + " docs/deploying\\.md has no heading whose anchor is #least-privilege")), problems.toString());
        assertEquals(Set.of("the-daemons-variables", "one-leader", "one-leader-1"),
                MarkdownLinks.headings("# The daemon's variables\n```\n# not a heading\n```\n## One leader\n### One `leader`\n"));
    }

    /** What {@code after} reports beyond {@code before}: the self-tests hold even while the real pages have problems. */
    private static List<String> added(List<String> before, List<String> after) {
        List<String> added = new ArrayList<>(after);
        added.removeAll(before);
        return added;
    }

    private static final Pattern TEST_NAME = Pattern.compile("`([A-Z][a-z][A-Za-z0-9]*(?:Test|IT))(?:\\.([A-Za-z_][A-Za-z0-9_]*))?`");

    private static List<String> missingTests(String file, String markdown, Map<String, String> tests) {
        List<String> problems = new ArrayList<>();
        Matcher m = TEST_NAME.matcher(markdown);
        while (m.find()) {
            String where = file + ":" + CodeSettings.line(markdown, m.start());
            String source = tests.get(m.group(1));
            if (source == null) {
                problems.add(where + " names the test " + m.group(1) + ", which is no class under src/test/java");
            } else if (m.group(2) != null && !Pattern.compile("\\b" + Pattern.quote(m.group(2)) + "\\s*\\(").matcher(source).find()) {
                problems.add(where + " names the test " + m.group(1) + "." + m.group(2) + ", but " + m.group(1) + " has no method "
                        + m.group(2));
            }
        }
        return problems;
    }

    /** Simple class name → source of every file under src/test/java. */
    private static Map<String, String> testSources() {
        Map<String, String> sources = new TreeMap<>();
        try (Stream<Path> files = Files.walk(ROOT.resolve("src/test/java"))) {
            files.filter(f -> f.toString().endsWith(".java"))
                    .forEach(f -> sources.put(f.getFileName().toString().replace(".java", ""), read(f)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sources;
    }

    private static CodeSettings code() {
        return CodeSettings.read(ROOT.resolve("src/main/java"), ROOT.resolve("src/main/resources/application.properties"));
    }

    private static SettingsDocumentation.Documented documented(String configurationMarkdown) {
        return SettingsDocumentation.Documented.of(configurationMarkdown);
    }

    private static String withoutRowOf(String page, String firstCellName) {
        String without = page.lines().filter(l -> !(l.startsWith("| " + firstCellName))).collect(Collectors.joining("\n"));
        assertTrue(without.length() < page.length() - 1, firstCellName + " has no row in " + SettingsDocumentation.CONFIGURATION);
        return without;
    }

    /** README.md and every markdown page under docs/. */
    private static List<Path> pages() {
        List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> docs = Files.walk(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertTrue(pages.size() > 5, "expected README.md and the docs/ pages, found " + pages);
        return pages;
    }

    private static Set<String> postRendererVariables() {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("RECONCILER_[A-Z0-9_]+").matcher(read(ROOT.resolve("k8s/helm/post-renderer.sh")));
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }

    private static String read(Path file) {
        return CodeSettings.read(file);
    }
}
