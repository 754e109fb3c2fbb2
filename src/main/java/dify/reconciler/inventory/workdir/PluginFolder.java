package dify.reconciler.inventory.workdir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One plugin's folder in the daemon's working path, {@code <author>/<name>-<version>@<checksum>} (the identity with
 * {@code :} replaced by {@code -}, as the daemon's {@code buildPluginWorkingPath} names it). Each method reads the
 * folder when called, so a caller pays only for what it asks; nothing is kept.
 */
public final class PluginFolder {

    /** The most of {@code pyvenv.cfg} we read: a real one is a few hundred bytes. */
    private static final int MAX_CONFIG_BYTES = 64 * 1024;

    private final Path root;
    private final Path dir;
    private final String uid;
    private final Instant modified;

    PluginFolder(Path root, Path dir, String uid, Instant modified) {
        this.root = root;
        this.dir = dir;
        this.uid = uid;
        this.modified = modified;
    }

    /** The path under the working path, e.g. {@code langgenius/openai-0.0.19@6b2b…}. */
    public String relativePath() {
        return root.relativize(dir).toString();
    }

    /** The plugin unique identifier the folder is named after. */
    public String uid() {
        return uid;
    }

    /**
     * When the folder or its {@code .venv} last changed (entries added or removed): an install in progress
     * extracts the package, then builds the environment, so both move while it runs.
     */
    public Instant lastChanged() throws IOException {
        BasicFileAttributes venv = attributesOrNull(dir.resolve(".venv"));
        if (venv != null && venv.isDirectory()) {
            Instant venvChanged = venv.lastModifiedTime().toInstant();
            return venvChanged.isAfter(modified) ? venvChanged : modified;
        }
        return modified;
    }

    /** Bytes of the regular files under the folder, {@code .venv} included; links are counted, not followed. */
    public long bytes() throws IOException {
        long[] total = {0};
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                if (attributes.isRegularFile()) {
                    total[0] += attributes.size();
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                throw new IOException("cannot read " + file + " in the working path: " + e.getMessage(), e);
            }
        });
        return total[0];
    }

    /**
     * The few checks that tell whether the daemon can run the plugin from this folder; {@code .venv} is not walked,
     * only the interpreter, {@code pyvenv.cfg}, the standard library's {@code encodings} and the daemon's
     * {@code .venv/dify/plugin.json} marker are looked at.
     */
    public EnvironmentCheck environment() throws IOException {
        if (isEmpty(dir)) {
            return new EnvironmentCheck(List.of(), false); // the daemon extracts the package again into an empty folder
        }
        List<String> problems = new ArrayList<>();
        boolean notFollowed = false;
        if (attributesOrNull(dir.resolve("pyproject.toml")) == null && attributesOrNull(dir.resolve("requirements.txt")) == null) {
            problems.add("neither pyproject.toml nor requirements.txt (the daemon stops with \"neither pyproject.toml nor"
                    + " requirements.txt found in plugin directory\")");
        }
        Path venv = dir.resolve(".venv");
        BasicFileAttributes venvAttributes = attributesOrNull(venv);
        if (venvAttributes == null) {
            return new EnvironmentCheck(List.copyOf(problems), false); // not built yet: the daemon builds it at launch
        }
        if (!venvAttributes.isDirectory()) {
            problems.add(".venv is not a directory");
            return new EnvironmentCheck(List.copyOf(problems), false);
        }
        ContainedLinks.Resolution python = ContainedLinks.resolve(root, venv.resolve("bin").resolve("python"));
        switch (python.outcome()) {
            case MISSING -> problems.add(".venv/bin/python leads to " + shown(python.where()) + ", which does not exist");
            case LOOP -> problems.add(".venv/bin/python is a loop of symbolic links");
            case OUTSIDE -> notFollowed = true;
            case EXISTS -> {
            }
        }
        Path config = venv.resolve("pyvenv.cfg");
        BasicFileAttributes configAttributes = attributesOrNull(config);
        if (configAttributes == null || !configAttributes.isRegularFile()) {
            problems.add(".venv/pyvenv.cfg is missing (Python does not see a virtual environment: the plugin's packages"
                    + " are not found)");
        } else {
            Map<String, String> values = readConfig(config);
            String home = values.get("home");
            String minor = majorMinor(values.getOrDefault("version_info", values.get("version")));
            if (home != null && minor != null) {
                Path homePath = venv.resolve(home).normalize(); // an absolute home replaces venv
                Path prefix = homePath.getParent();
                if (prefix != null) {
                    ContainedLinks.Resolution encodings = ContainedLinks.resolve(root,
                            prefix.resolve("lib").resolve("python" + minor).resolve("encodings"));
                    switch (encodings.outcome()) {
                        case MISSING -> problems.add("the standard library is missing: " + shown(encodings.where())
                                + " does not exist (the plugin fails with \"No module named 'encodings'\")");
                        case LOOP -> problems.add("the standard library's path is a loop of symbolic links");
                        case OUTSIDE -> notFollowed = true;
                        case EXISTS -> {
                        }
                    }
                }
            }
        }
        if (attributesOrNull(venv.resolve("dify").resolve("plugin.json")) == null) {
            problems.add(".venv/dify/plugin.json is missing: the daemon never finished installing the dependencies (it"
                    + " calls the environment invalid and rebuilds it at the plugin's next launch)");
        }
        return new EnvironmentCheck(List.copyOf(problems), notFollowed);
    }

    /** A path under the working path relative to it, any other as is. */
    private String shown(Path path) {
        return path.startsWith(root) ? root.relativize(path).toString() : path.toString();
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return !entries.iterator().hasNext();
        }
    }

    private static BasicFileAttributes attributesOrNull(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** {@code key = value} lines, as Python's {@code site} module reads {@code pyvenv.cfg}; keys lower-cased. */
    private static Map<String, String> readConfig(Path config) throws IOException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(config, LinkOption.NOFOLLOW_LINKS)) {
            bytes = in.readNBytes(MAX_CONFIG_BYTES);
        }
        Map<String, String> values = new HashMap<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\\R")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                values.putIfAbsent(line.substring(0, eq).trim().toLowerCase(Locale.ROOT), line.substring(eq + 1).trim());
            }
        }
        return values;
    }

    /** {@code 3.12} of {@code 3.12.3}; null when the value is not a version. */
    static String majorMinor(String version) {
        if (version == null) {
            return null;
        }
        String[] parts = version.trim().split("\\.");
        if (parts.length < 2 || !parts[0].matches("[0-9]{1,2}") || !parts[1].matches("[0-9]{1,3}")) {
            return null;
        }
        return parts[0] + "." + parts[1];
    }
}
