package dify.reconciler.remediate;

import org.junit.platform.suite.api.SelectClasses;
import org.junit.platform.suite.api.Suite;

/**
 * The classes of {@link SharedProfiles.Command} with {@code DriftedDaemon} (owner) and {@link DaemonRedis}, run in
 * one JUnit launch so that they share one application start. Surefire's two forks each run a class per launch, and
 * Quarkus keeps its application in the launch's root context: without this suite each class started its own
 * (docs/development.md). The names are strings so that Quarkus's class loader, not the suite's, loads the classes;
 * pom.xml excludes them from Surefire's own scan (SharedProfileSuitesTest checks both lists agree).
 */
@Suite(failIfNoTests = false)
@SelectClasses(names = {"dify.reconciler.remediate.CacheInvalidationTest", "dify.reconciler.remediate.GuardsTest",
        "dify.reconciler.remediate.ObjectWritesFencedTest", "dify.reconciler.remediate.OneActorCommandTest"})
public class SharedCommandProfileTests {
}
