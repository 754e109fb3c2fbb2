package dify.reconciler.docs;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import io.smallrye.config.WithParentName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The settings the product reads, found in its sources and classes (the rules are those of {@link DocumentationTest}):
 * <ul>
 * <li>our settings: every leaf of every {@code @ConfigMapping} interface whose prefix is {@code reconciler} or starts
 * with {@code reconciler.} (method names in kebab case, or their {@code @WithName}; nested group interfaces joined with
 * {@code .}), and every {@code @ConfigProperty(name = "reconciler.…")};
 * <li>the daemon's variables: every upper-case name ({@code [A-Z][A-Z0-9_]*}) passed as a string literal first
 * argument to a method named {@code apply}, {@code get}, {@code require} or {@code flag} anywhere in
 * {@code src/main/java} (how DaemonSettings, RedisSettings, StorageVariables and the datasource factory look variables
 * up), and every {@code ${NAME}} in {@code src/main/resources/application.properties}.
 * </ul>
 * Each name maps to where it is read, for the failure message.
 */
record CodeSettings(Map<String, Setting> settings, Map<String, String> variables) {

    /** One of our settings: where it is defined and its default ({@code null} when it has none). */
    record Setting(String name, String definedIn, String defaultValue) {
    }

    private static final Pattern MAPPING_PREFIX = Pattern.compile("@ConfigMapping\\(\\s*prefix\\s*=\\s*\"(reconciler(?:\\.[^\"]*)?)\"");
    private static final Pattern CONFIG_PROPERTY = Pattern
            .compile("@ConfigProperty\\(\\s*name\\s*=\\s*\"(reconciler\\.[^\"]+)\"(?:\\s*,\\s*defaultValue\\s*=\\s*\"([^\"]*)\")?");
    private static final Pattern VARIABLE_LOOKUP = Pattern.compile("\\b(?:apply|get|require|flag)\\(\\s*\"([A-Z][A-Z0-9_]*)\"");
    /** A lookup by a constant of the same file: {@code require(CONTAINER, …)} with {@code String CONTAINER = "AZURE_…"}. */
    private static final Pattern CONSTANT_LOOKUP = Pattern.compile("\\b(?:apply|get|require|flag)\\(\\s*([A-Z][A-Z0-9_]*)\\s*[,)]");
    private static final Pattern STRING_CONSTANT = Pattern.compile("static final String ([A-Z][A-Z0-9_]*)\\s*=\\s*\"([A-Z][A-Z0-9_]*)\"");
    private static final Pattern PROPERTIES_REFERENCE = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)");

    static CodeSettings read(Path sources, Path applicationProperties) {
        Map<String, Setting> settings = new TreeMap<>();
        Map<String, String> variables = new TreeMap<>();
        for (Path file : javaFiles(sources)) {
            String text = read(file);
            String where = sources.relativize(file).toString();
            if (MAPPING_PREFIX.matcher(text).find()) {
                Class<?> mapping = load(className(where));
                ConfigMapping annotation = mapping.getAnnotation(ConfigMapping.class);
                if (annotation != null && (annotation.prefix().equals("reconciler") || annotation.prefix().startsWith("reconciler."))) {
                    leaves(mapping, annotation.prefix(), settings);
                }
            }
            Matcher property = CONFIG_PROPERTY.matcher(text);
            while (property.find()) {
                settings.putIfAbsent(property.group(1),
                        new Setting(property.group(1), "@ConfigProperty in " + where + ":" + line(text, property.start()),
                                property.group(2)));
            }
            Matcher lookup = VARIABLE_LOOKUP.matcher(text);
            while (lookup.find()) {
                variables.putIfAbsent(lookup.group(1), "src/main/java/" + where + ":" + line(text, lookup.start()));
            }
            Map<String, String> constants = new TreeMap<>();
            Matcher constant = STRING_CONSTANT.matcher(text);
            while (constant.find()) {
                constants.put(constant.group(1), constant.group(2));
            }
            Matcher byConstant = CONSTANT_LOOKUP.matcher(text);
            while (byConstant.find()) {
                String name = constants.get(byConstant.group(1));
                if (name != null) {
                    variables.putIfAbsent(name, "src/main/java/" + where + ":" + line(text, byConstant.start()));
                }
            }
        }
        String properties = read(applicationProperties);
        Matcher reference = PROPERTIES_REFERENCE.matcher(properties);
        while (reference.find()) {
            variables.putIfAbsent(reference.group(1), applicationProperties + ":" + line(properties, reference.start()));
        }
        return new CodeSettings(settings, variables);
    }

    /** {@code reconciler.remediation.dry-run} → {@code RECONCILER_REMEDIATION_DRY_RUN}, as SmallRye maps environment names. */
    static String environmentForm(String setting) {
        return setting.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    /** gracePeriod → grace-period, maxActionsPerRun → max-actions-per-run (SmallRye's default naming). */
    static String kebab(String methodName) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < methodName.length(); i++) {
            char c = methodName.charAt(i);
            boolean wordStart = Character.isUpperCase(c) && i > 0 && (!Character.isUpperCase(methodName.charAt(i - 1))
                    || (i + 1 < methodName.length() && Character.isLowerCase(methodName.charAt(i + 1))));
            if (wordStart) {
                out.append('-');
            }
            out.append(Character.toLowerCase(c));
        }
        return out.toString();
    }

    private static void leaves(Class<?> group, String prefix, Map<String, Setting> into) {
        for (Method m : group.getDeclaredMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.isDefault() || m.isSynthetic() || m.getParameterCount() > 0) {
                continue;
            }
            String name = m.isAnnotationPresent(WithParentName.class)
                    ? prefix
                    : prefix + "." + (m.isAnnotationPresent(WithName.class) ? m.getAnnotation(WithName.class).value() : kebab(m.getName()));
            Class<?> nested = nestedGroup(m.getGenericReturnType());
            if (nested != null) {
                leaves(nested, name, into);
            } else {
                WithDefault def = m.getAnnotation(WithDefault.class);
                into.putIfAbsent(name, new Setting(name, group.getName().replace('$', '.') + "#" + m.getName() + "()",
                        def == null ? null : def.value()));
            }
        }
    }

    /** The group interface a method returns (also inside Optional), or null for a leaf value. */
    private static Class<?> nestedGroup(Type type) {
        if (type instanceof ParameterizedType p && p.getRawType() == Optional.class) {
            type = p.getActualTypeArguments()[0];
        }
        if (type instanceof Class<?> c && c.isInterface() && c.getName().startsWith("dify.")) {
            return c;
        }
        return null;
    }

    private static List<Path> javaFiles(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String className(String relativePath) {
        return relativePath.substring(0, relativePath.length() - ".java".length()).replace('/', '.').replace('\\', '.');
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, CodeSettings.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(name + " declares a @ConfigMapping but is not on the test class path", e);
        }
    }

    static int line(String text, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
