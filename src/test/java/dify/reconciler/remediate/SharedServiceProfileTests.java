package dify.reconciler.remediate;

import org.junit.platform.suite.api.SelectClasses;
import org.junit.platform.suite.api.Suite;

/**
 * The classes of {@link SharedProfiles.Service} with {@code DriftedDaemon} (owner) and {@link DaemonRedis}, run in
 * one JUnit launch so that they share one application start (see {@link SharedCommandProfileTests} for why).
 * {@code TenantRemediesTest} is not one: its resources differ (Dify's database), so it starts its own.
 */
@Suite(failIfNoTests = false)
@SelectClasses(names = {"dify.reconciler.remediate.DailyPurgeTest", "dify.reconciler.remediate.DaemonInstallRaceTest",
        "dify.reconciler.remediate.DaemonNeverWaitsTest", "dify.reconciler.remediate.ObjectRemediationTest",
        "dify.reconciler.remediate.RemediationTest", "dify.reconciler.remediate.RowSetCacheInvalidationTest",
        "dify.reconciler.remediate.RowSetRemediationTest"})
public class SharedServiceProfileTests {
}
