package dify.reconciler;

import org.junit.platform.suite.api.SelectClasses;
import org.junit.platform.suite.api.Suite;

/**
 * Every {@code @QuarkusTest} class, run in one JUnit launch in one Surefire fork while the other fork runs the plain
 * tests. Two reasons. Surefire's forks run one class per JUnit launch and Quarkus keeps its application in the launch's
 * root context, so each class started its own application even after a class of the same profile and resources; in
 * one launch Quarkus' class orderer keeps a profile's classes together and they share one start. And Quarkus writes
 * {@code target/test-classes/test-classes.idx} at every application start and deletes it at every stop while any other
 * fork's Quarkus class loader walks that folder (a CI run lost a class to it): with every application in one fork no
 * other fork walks it, so the forks may run C1 only (pom.xml). The names are strings so that Quarkus's class loader, not
 * the suite's, loads the classes; pom.xml excludes them from Surefire's own scan and its alphabetical run order
 * starts this suite first (its name sorts before every subpackage's classes). QuarkusApplicationTestsTest keeps this
 * list, pom.xml's and the sources' {@code @QuarkusTest} classes equal. The sweep filters by tag inside the suite, where
 * none of these classes has a sweep-tagged test, hence {@code failIfNoTests = false}.
 */
@Suite(failIfNoTests = false)
@SelectClasses(names = {"dify.reconciler.api.FindingsCapTest", "dify.reconciler.api.MutatingOnManagementTest",
        "dify.reconciler.approval.ApprovalServiceTest", "dify.reconciler.approval.WindowServiceTest",
        "dify.reconciler.doctor.DoctorCommandAndApiTest", "dify.reconciler.observe.FailedRunContractTest",
        "dify.reconciler.observe.FreshServiceTest", "dify.reconciler.observe.ObservabilityTest",
        "dify.reconciler.observe.StrictReadinessTest", "dify.reconciler.observe.UnreachableDependenciesTest",
        "dify.reconciler.observe.WebhookTest", "dify.reconciler.remediate.CacheInvalidationTest",
        "dify.reconciler.remediate.CacheNotConfiguredTest", "dify.reconciler.remediate.DaemonInstallRaceTest",
        "dify.reconciler.remediate.DaemonNeverWaitsTest", "dify.reconciler.remediate.DailyPurgeTest",
        "dify.reconciler.remediate.GuardsTest", "dify.reconciler.remediate.LostWriteAnswerTest",
        "dify.reconciler.remediate.MemoryBreakerTest", "dify.reconciler.remediate.MemoryStateRemediationTest",
        "dify.reconciler.remediate.ObjectRemediationTest", "dify.reconciler.remediate.ObjectWritesFencedTest",
        "dify.reconciler.remediate.OneActorCommandTest", "dify.reconciler.remediate.RemediationTest",
        "dify.reconciler.remediate.RowSetCacheInvalidationTest", "dify.reconciler.remediate.RowSetRemediationTest",
        "dify.reconciler.remediate.TenantRemediesTest", "dify.reconciler.run.TenantStorageIntervalTest",
        "dify.reconciler.service.ApiTokenDisabledTest", "dify.reconciler.service.ConsoleTest",
        "dify.reconciler.service.ServiceRemediationTest", "dify.reconciler.state.MemoryStateTest",
        "dify.reconciler.state.PersistedStateTest"})
public class QuarkusApplicationTests {
}
