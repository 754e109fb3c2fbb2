package dify.reconciler.docs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compares the settings the code reads with those the documentation names, and returns every difference as a
 * message that says what to write where. The rules are those of {@link DocumentationTest}.
 */
final class SettingsDocumentation {

    static final String CONFIGURATION = "docs/configuration.md";
    static final String OUR_TABLE = "the table under \"## Our own settings\"";
    static final String DAEMON_TABLE = "the table under \"## The daemon's variables\"";

    private static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`");
    private static final Pattern SETTING_NAME = Pattern.compile("reconciler(?:\\.[a-z0-9-]+)+");
    private static final Pattern VARIABLE_NAME = Pattern.compile("[A-Z][A-Z0-9_]*");
    /** A reconciler.… name in prose, not inside a file name (plugin-reconciler.rules.yml) or a package (dify.reconciler.x). */
    private static final Pattern SETTING_MENTION = Pattern.compile("(?<![\\w./-])reconciler(?:\\.[a-z0-9-]+)+");
    private static final Pattern ENVIRONMENT_MENTION = Pattern.compile("(?<![A-Za-z0-9_])RECONCILER_[A-Z0-9_]+");

    private SettingsDocumentation() {
    }

    /** Names in backticks in the first cell of each table row of the configuration page, with their line numbers. */
    record Documented(Map<String, Integer> settings, Map<String, Integer> variables, Map<String, Integer> environmentForms) {

        static Documented of(String configurationMarkdown) {
            Map<String, Integer> settings = new TreeMap<>();
            Map<String, Integer> variables = new TreeMap<>();
            Map<String, Integer> environment = new TreeMap<>();
            String[] lines = configurationMarkdown.split("\n", -1);
            boolean fenced = false;
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i];
                if (line.startsWith("```")) {
                    fenced = !fenced;
                }
                if (fenced || !line.startsWith("|")) {
                    continue;
                }
                int end = line.indexOf('|', 1);
                String firstCell = end < 0 ? line.substring(1) : line.substring(1, end);
                Matcher m = BACKTICKED.matcher(firstCell);
                while (m.find()) {
                    String name = m.group(1).trim();
                    if (SETTING_NAME.matcher(name).matches()) {
                        settings.putIfAbsent(name, i + 1);
                    } else if (VARIABLE_NAME.matcher(name).matches()) {
                        (name.startsWith("RECONCILER_") ? environment : variables).putIfAbsent(name, i + 1);
                    }
                }
            }
            return new Documented(settings, variables, environment);
        }
    }

    /** Settings and variables the code reads that the configuration page does not document. */
    static List<String> undocumented(CodeSettings code, Documented docs) {
        List<String> problems = new ArrayList<>();
        for (CodeSettings.Setting s : code.settings().values()) {
            if (!docs.settings().containsKey(s.name())) {
                problems.add(s.name() + " (" + CodeSettings.environmentForm(s.name()) + "), defined by " + s.definedIn()
                        + ", is not documented: add a row to " + OUR_TABLE + " in " + CONFIGURATION + ": | `" + s.name() + "` | "
                        + (s.defaultValue() == null ? "unset" : "`" + s.defaultValue() + "`") + " | <what it does> |");
            }
        }
        for (Map.Entry<String, String> v : code.variables().entrySet()) {
            if (!docs.variables().containsKey(v.getKey())) {
                problems.add("the daemon's variable " + v.getKey() + ", read at " + v.getValue() + ", is not documented: add a row to "
                        + DAEMON_TABLE + " in " + CONFIGURATION + ": | `" + v.getKey() + "` | <default> | <what it is> |"
                        + " (several variables may share a row's first cell)");
            }
        }
        return problems;
    }

    /** Names the configuration page documents that the code does not read. */
    static List<String> stale(CodeSettings code, Documented docs) {
        List<String> problems = new ArrayList<>();
        Set<String> environmentForms = new TreeSet<>();
        code.settings().keySet().forEach(s -> environmentForms.add(CodeSettings.environmentForm(s)));
        docs.settings().forEach((name, line) -> {
            if (!code.settings().containsKey(name)) {
                problems.add(CONFIGURATION + ":" + line + " documents " + name + ", which no @ConfigMapping or @ConfigProperty"
                        + " defines: remove the row, or correct the name");
            }
        });
        docs.variables().forEach((name, line) -> {
            if (!code.variables().containsKey(name)) {
                problems.add(CONFIGURATION + ":" + line + " documents the variable " + name + ", which nothing in src/main reads"
                        + " (no apply/get/require/flag(\"" + name + "\"), no ${" + name + "} in application.properties): remove it,"
                        + " or correct the name");
            }
        });
        docs.environmentForms().forEach((name, line) -> {
            if (!environmentForms.contains(name)) {
                problems.add(CONFIGURATION + ":" + line + " documents " + name + ", which is the environment form of no setting");
            }
        });
        return problems;
    }

    /**
     * Every {@code reconciler.…} name and {@code RECONCILER_…} variable anywhere in a page must be a setting, a group
     * of settings ({@code reconciler.s3}), the environment form or prefix of one, or one of {@code extraVariables}
     * (the Helm post-renderer's own).
     */
    static List<String> unknownMentions(String file, String markdown, CodeSettings code, Set<String> extraVariables) {
        List<String> problems = new ArrayList<>();
        Set<String> environmentForms = new TreeSet<>();
        code.settings().keySet().forEach(s -> environmentForms.add(CodeSettings.environmentForm(s)));
        Matcher setting = SETTING_MENTION.matcher(markdown);
        while (setting.find()) {
            String name = setting.group();
            boolean known = code.settings().keySet().stream().anyMatch(s -> s.equals(name) || s.startsWith(name + "."));
            if (!known) {
                problems.add(file + ":" + CodeSettings.line(markdown, setting.start()) + " names " + name
                        + ", which is neither a setting nor a group of settings");
            }
        }
        Matcher variable = ENVIRONMENT_MENTION.matcher(markdown);
        while (variable.find()) {
            String name = variable.group();
            boolean known = name.endsWith("_")
                    ? environmentForms.stream().anyMatch(e -> e.startsWith(name))
                    : environmentForms.contains(name) || extraVariables.contains(name);
            if (!known) {
                problems.add(file + ":" + CodeSettings.line(markdown, variable.start()) + " names " + name
                        + ", which is the environment form of no setting (nor a variable of k8s/helm/post-renderer.sh)");
            }
        }
        return problems;
    }
}
