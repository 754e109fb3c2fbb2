package dify.reconciler.remediate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.metrics.MetricNames;
import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.remediate.guard.Breaker;
import dify.reconciler.remediate.guard.BreakerEvent;
import dify.reconciler.remediate.guard.BreakerStatus;
import dify.reconciler.remediate.plan.GuardName;
import dify.reconciler.remediate.plan.GuardTrip;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.ScanRunner;
import dify.reconciler.state.StateStore;
import dify.reconciler.testsupport.DaemonRows;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The SELECT-only role keeps state in memory: a cap still trips the breaker, which then lives in this process
 * (and says {@code memory}), stops the next plans and is acknowledged the same way.
 */
@QuarkusTest
@TestProfile(MemoryBreakerTest.MaxTwo.class)
@WithTestResource(dify.reconciler.observe.DriftedDaemon.class)
class MemoryBreakerTest {

    public static class MaxTwo implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("reconciler.mode", "scan", "reconciler.remediation.confirmations", "1", "reconciler.remediation.min-age", "0s",
                    "reconciler.remediation.min-age-info", "0s", "reconciler.remediation.max-share", "1",
                    "reconciler.remediation.max-actions-per-run", "2", "reconciler.remediation.kinds", "endpoint_orphaned");
        }
    }

    @Inject
    ScanRunner runner;

    @Inject
    RemediationService remediation;

    @Inject
    Breaker breaker;

    @Inject
    StateStore state;

    @Inject
    MeterRegistry registry;

    @Test
    void aCapTripsABreakerThatLivesInThisProcess() throws Exception {
        DaemonRows daemon = DaemonRows.on(DriftedDaemonAccess.database());
        List<String> hooks = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                hooks.add("hook-" + UUID.randomUUID());
                daemon.insertEndpoint(UUID.randomUUID().toString(), "acme/gone", hooks.get(i), "default");
            }
            RemediationPlan capped = remediation.plan(scan());
            assertEquals(StateStore.Mode.MEMORY, state.mode());
            assertEquals(List.of(GuardName.CAP), capped.guards().stream().map(GuardTrip::guard).toList());
            BreakerStatus status = breaker.status();
            assertTrue(status.tripped());
            assertEquals("memory", status.storage());
            assertEquals(1.0, registry.get(MetricNames.BREAKER_TRIPPED).gauge().value());

            RemediationPlan stopped = remediation.plan(scan());
            assertEquals(List.of(GuardName.BREAKER), stopped.guards().stream().map(GuardTrip::guard).toList());
            assertTrue(stopped.actions().isEmpty());

            List<BreakerEvent> acked = breaker.ack("checked", "test");
            assertEquals(List.of(capped.planId()), acked.stream().map(BreakerEvent::planId).toList());
            assertEquals("test", acked.get(0).ackedBy());
            assertEquals(0.0, registry.get(MetricNames.BREAKER_TRIPPED).gauge().value());
            // Down to two orphans: within the cap, acted on again.
            daemon.execute("DELETE FROM endpoints WHERE hook_id = ?", hooks.remove(2));
            assertEquals(2, remediation.plan(scan()).actions().size());
        } finally {
            hooks.forEach(h -> daemon.execute("DELETE FROM endpoints WHERE hook_id = ?", h));
        }
    }

    private ScanReport scan() {
        ScanReport r = runner.scanIfIdle().orElseThrow();
        assertTrue(r.succeeded(), r.error());
        return r;
    }
}
