package dify.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.platform.suite.api.SelectClasses;

/**
 * {@link QuarkusApplicationTests} runs every {@code @QuarkusTest} class and nothing else, and pom.xml excludes exactly
 * those from Surefire's own scan: a class missing from the suite would not run at all (excluded) or would run in the
 * other fork (not excluded), which brings back two forks starting Quarkus applications side by side. Reads the sources,
 * not {@code target/test-classes}, which the Quarkus fork changes while this runs.
 */
class QuarkusApplicationTestsTest {

    private static final Path TEST_SOURCES = Path.of("src/test/java");

    @Test
    void theSuiteHoldsEveryQuarkusTestClassAndPomXmlExcludesExactlyThose() throws IOException, ClassNotFoundException {
        Set<String> members = new TreeSet<>(Arrays.asList(QuarkusApplicationTests.class.getAnnotation(SelectClasses.class).names()));
        Set<String> annotated = quarkusTestClassesInSources();
        assertTrue(annotated.size() > 20, "found only " + annotated + " in " + TEST_SOURCES.toAbsolutePath());
        assertEquals(annotated, members, "the sources' @QuarkusTest classes and QuarkusApplicationTests' members");

        Set<String> excluded = new TreeSet<>();
        Matcher m = Pattern.compile("<exclude>\\*\\*/([A-Za-z/]+)\\.java</exclude>").matcher(Files.readString(Path.of("pom.xml")));
        while (m.find()) {
            excluded.add("dify.reconciler." + m.group(1).replace('/', '.'));
        }
        assertEquals(members, excluded, "pom.xml's surefire <excludes> and QuarkusApplicationTests' members");
        for (String member : members) {
            Class.forName(member, false, getClass().getClassLoader()); // a name that loads nothing fails here, not silently
        }
    }

    private static Set<String> quarkusTestClassesInSources() throws IOException {
        Set<String> classes = new TreeSet<>();
        try (Stream<Path> files = Files.walk(TEST_SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(file);
                if (lines.stream().anyMatch(l -> l.strip().equals("@QuarkusTest"))) {
                    String relative = TEST_SOURCES.relativize(file).toString();
                    classes.add(relative.substring(0, relative.length() - ".java".length()).replace('/', '.'));
                }
            }
        }
        return classes;
    }
}
