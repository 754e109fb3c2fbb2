package dify.reconciler.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The JVM our image starts is the one the manifests describe. The image's entrypoint ({@code run-java.sh} of the UBI
 * OpenJDK images) adds JVM options of its own unless {@code JAVA_OPTS} is set, among them {@code -XX:+UseParallelGC};
 * with the manifests' {@code JAVA_TOOL_OPTIONS} ({@code -XX:+UseSerialGC}) that is two collectors, and the JVM stops
 * before it starts ("Multiple garbage collectors selected"): the Deployment, the sidecar and the compose service of
 * docs/deploying.md would all crash-loop. Docker is not available here, so this test reads
 * {@code src/main/docker/Dockerfile.jvm} and the manifests, composes the command line the way {@code run-java.sh} does
 * ({@link #entrypointOptions}), starts a real JVM with it and each manifest's {@code JAVA_TOOL_OPTIONS}, and compares
 * the flags in effect with the manifest's.
 */
class ImageJvmOptionsTest {

    /**
     * What {@code run-java.sh} (ubi9/openjdk-17-runtime) puts on the command line when {@code JAVA_OPTS} is unset: the
     * options of its {@code java-default-options} script with their defaults, then {@code JAVA_OPTS_APPEND}. When
     * {@code JAVA_OPTS} is set (even empty), it is passed verbatim and nothing else
     * ({@code opts=${JAVA_OPTS-<defaults> ${JAVA_OPTS_APPEND}}}).
     */
    static final List<String> RUN_JAVA_DEFAULTS = List.of("-XX:MaxRAMPercentage=80.0", "-XX:+UseParallelGC",
            "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20", "-XX:GCTimeRatio=4", "-XX:AdaptiveSizePolicyWeight=90",
            "-XX:+ExitOnOutOfMemoryError");

    private static final Pattern ENV_PAIR = Pattern.compile("([A-Z_][A-Z0-9_]*)=(\"([^\"]*)\"|'([^']*)'|(\\S+))");

    @Test
    void theImageAloneStartsWithTheFootprintOptionsOfTheManifests() throws Exception {
        Map<String, String> image = dockerfileEnv(Path.of("src/main/docker/Dockerfile.jvm"));
        String manifest = manifestJavaToolOptions(Path.of("k8s/base/deployment.yaml"));
        // A compose service or a `docker run` without the manifests' variable gets the same options from the image.
        assertEquals(normalized(manifest), normalized(image.get("JAVA_TOOL_OPTIONS")),
                "the image's JAVA_TOOL_OPTIONS must be the base Deployment's (one measured set: docs/benchmark.md)");
        assertEquals("2", image.get("MALLOC_ARENA_MAX"), "the image sets MALLOC_ARENA_MAX as the manifests do");
        assertFlagsInEffect(entrypointOptions(image), image.get("JAVA_TOOL_OPTIONS"));
    }

    @Test
    void everyManifestsJavaToolOptionsAreTheOnesInEffectUnderTheImagesEntrypoint() throws Exception {
        Map<String, String> image = dockerfileEnv(Path.of("src/main/docker/Dockerfile.jvm"));
        for (Path manifest : List.of(Path.of("k8s/base/deployment.yaml"), Path.of("k8s/sidecar/daemon-patch.yaml"))) {
            String toolOptions = manifestJavaToolOptions(manifest);
            assertFlagsInEffect(entrypointOptions(image), toolOptions);
        }
    }

    @Test
    void theEntrypointsOwnDefaultsWouldStopTheJvm() throws Exception {
        // The reason for JAVA_OPTS in the image: without it, run-java.sh's collector and the manifests' collide.
        // This is what the test above would see if the Dockerfile lost its JAVA_OPTS line.
        String toolOptions = manifestJavaToolOptions(Path.of("k8s/base/deployment.yaml"));
        JvmRun run = startJvm(RUN_JAVA_DEFAULTS, toolOptions);
        assertFalse(run.exitCode == 0, "a JVM with run-java.sh's defaults and the manifests' options started:\n" + run.output);
        assertTrue(run.output.contains("garbage collectors"), run.output);
    }

    /** The options {@code run-java.sh} passes to {@code java} for an image with these variables. */
    static List<String> entrypointOptions(Map<String, String> imageEnv) {
        if (imageEnv.containsKey("JAVA_OPTS")) {
            return split(imageEnv.get("JAVA_OPTS"));
        }
        List<String> options = new ArrayList<>(RUN_JAVA_DEFAULTS);
        options.addAll(split(imageEnv.getOrDefault("JAVA_OPTS_APPEND", "")));
        return options;
    }

    private static void assertFlagsInEffect(List<String> commandLine, String javaToolOptions)
            throws IOException, InterruptedException {
        List<String> withFlags = new ArrayList<>(commandLine);
        withFlags.add("-XX:+PrintFlagsFinal");
        JvmRun run = startJvm(withFlags, javaToolOptions);
        assertEquals(0, run.exitCode, "java " + commandLine + " with JAVA_TOOL_OPTIONS=" + javaToolOptions
                + " did not start:\n" + run.output);
        Map<String, String> flags = finalFlags(run.output);
        for (String option : split(javaToolOptions)) {
            Map.Entry<String, String> expected = expectedFlag(option);
            if (expected == null) {
                continue; // a system property (-D…): not a JVM flag
            }
            assertEquals(expected.getValue(), flags.get(expected.getKey()), "flag " + expected.getKey() + " in effect with "
                    + commandLine + " and JAVA_TOOL_OPTIONS=" + javaToolOptions);
        }
    }

    /** The flag name and its final value that an option asks for, or null for options that are not flags. */
    private static Map.Entry<String, String> expectedFlag(String option) {
        if (option.startsWith("-XX:+") || option.startsWith("-XX:-")) {
            return Map.entry(option.substring(5), option.charAt(4) == '+' ? "true" : "false");
        }
        if (option.startsWith("-XX:")) {
            String[] nameValue = option.substring(4).split("=", 2);
            return Map.entry(nameValue[0], Long.toString(bytesOrNumber(nameValue[1])));
        }
        if (option.startsWith("-Xmx")) {
            return Map.entry("MaxHeapSize", Long.toString(bytesOrNumber(option.substring(4))));
        }
        if (option.startsWith("-Xms")) {
            return Map.entry("InitialHeapSize", Long.toString(bytesOrNumber(option.substring(4))));
        }
        return null;
    }

    private static long bytesOrNumber(String value) {
        char unit = Character.toLowerCase(value.charAt(value.length() - 1));
        long factor = switch (unit) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1;
        };
        return Long.parseLong(factor == 1 ? value : value.substring(0, value.length() - 1)) * factor;
    }

    private static Map<String, String> finalFlags(String printFlagsFinal) {
        Map<String, String> flags = new LinkedHashMap<>();
        Pattern line = Pattern.compile("^\\s*\\S+\\s+(\\w+)\\s+:?=\\s+(\\S+)", Pattern.MULTILINE);
        Matcher m = line.matcher(printFlagsFinal);
        while (m.find()) {
            flags.put(m.group(1), m.group(2));
        }
        return flags;
    }

    private record JvmRun(int exitCode, String output) {
    }

    private static JvmRun startJvm(List<String> options, String javaToolOptions) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options);
        command.add("-version");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("JDK_JAVA_OPTIONS");
        builder.environment().remove("_JAVA_OPTIONS");
        builder.environment().put("JAVA_TOOL_OPTIONS", javaToolOptions);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "java -version did not end");
        return new JvmRun(process.exitValue(), output);
    }

    /** The {@code ENV} variables of a Dockerfile ({@code ENV A="x" B='y'} and {@code ENV A=x}), later lines winning. */
    static Map<String, String> dockerfileEnv(Path dockerfile) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(dockerfile, StandardCharsets.UTF_8)) {
            if (!line.startsWith("ENV ")) {
                continue;
            }
            Matcher pair = ENV_PAIR.matcher(line.substring(4));
            while (pair.find()) {
                String value = pair.group(3) != null ? pair.group(3) : pair.group(4) != null ? pair.group(4) : pair.group(5);
                env.put(pair.group(1), value);
            }
        }
        return env;
    }

    /** The value of the container env entry {@code JAVA_TOOL_OPTIONS} (a folded {@code >-} scalar) of a manifest. */
    static String manifestJavaToolOptions(Path manifest) throws IOException {
        List<String> lines = Files.readAllLines(manifest, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).trim().equals("- name: JAVA_TOOL_OPTIONS")) {
                continue;
            }
            String valueLine = lines.get(i + 1);
            assertEquals("value: >-", valueLine.trim(), manifest + ": JAVA_TOOL_OPTIONS is a folded scalar");
            int indent = valueLine.indexOf('v');
            StringBuilder value = new StringBuilder();
            for (int j = i + 2; j < lines.size(); j++) {
                String next = lines.get(j);
                if (next.isBlank() || next.length() - next.stripLeading().length() <= indent) {
                    break;
                }
                value.append(' ').append(next.trim());
            }
            return value.toString().trim();
        }
        throw new AssertionError(manifest + " sets no JAVA_TOOL_OPTIONS");
    }

    private static List<String> split(String options) {
        return options.isBlank() ? List.of() : List.of(options.trim().split("\\s+"));
    }

    private static String normalized(String options) {
        return String.join(" ", split(options == null ? "" : options));
    }
}
