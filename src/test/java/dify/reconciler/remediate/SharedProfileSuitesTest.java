package dify.reconciler.remediate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.platform.suite.api.SelectClasses;

/**
 * The suites that run a shared profile's classes in one JUnit launch ({@link SharedCommandProfileTests},
 * {@link SharedServiceProfileTests}) stay in step with pom.xml and with the classes: every member is excluded from
 * Surefire's own scan (else it runs twice, once on its own start), every class excluded there is in a suite (else it
 * does not run at all), and a suite's members have one profile and the same test resources (else the suite saves no
 * start).
 */
class SharedProfileSuitesTest {

    private static final List<Class<?>> SUITES = List.of(SharedCommandProfileTests.class, SharedServiceProfileTests.class);

    @Test
    void everySuiteMemberIsExcludedFromSurefiresScanAndNothingElseIs() throws IOException {
        Set<String> members = new TreeSet<>();
        for (Class<?> suite : SUITES) {
            members.addAll(Arrays.asList(suite.getAnnotation(SelectClasses.class).names()));
        }
        Set<String> excluded = new TreeSet<>();
        Matcher m = Pattern.compile("<exclude>\\*\\*/([A-Za-z/]+)\\.java</exclude>").matcher(Files.readString(Path.of("pom.xml")));
        while (m.find()) {
            excluded.add("dify.reconciler." + m.group(1).replace('/', '.'));
        }
        assertFalse(members.isEmpty());
        assertEquals(members, excluded, "pom.xml's surefire <excludes> and the suites' members");
    }

    @Test
    void aSuitesMembersShareOneProfileAndTheSameResources() throws ClassNotFoundException {
        for (Class<?> suite : SUITES) {
            List<String> starts = new ArrayList<>();
            for (String name : suite.getAnnotation(SelectClasses.class).names()) {
                Class<?> member = Class.forName(name, false, getClass().getClassLoader());
                starts.add(member.getAnnotation(TestProfile.class).value().getName() + " "
                        + Arrays.toString(member.getAnnotationsByType(WithTestResource.class)));
            }
            assertEquals(1, new TreeSet<>(starts).size(), suite.getSimpleName() + ": " + starts);
        }
    }
}
