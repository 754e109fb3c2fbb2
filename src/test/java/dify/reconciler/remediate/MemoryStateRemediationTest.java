package dify.reconciler.remediate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.WithheldReason;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.RemediationCommand;
import dify.reconciler.run.ScanRunner;
import dify.reconciler.state.StateStore;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.TableDump;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The SELECT-only role, armed: state is in memory, so the plan comes from the report's findings and their
 * in-memory history, and apply refuses (quarantine and audit need our schema) and changes nothing.
 */
@QuarkusTest
@TestProfile(MemoryStateRemediationTest.ArmedReader.class)
@WithTestResource(dify.reconciler.observe.DriftedDaemon.class)
class MemoryStateRemediationTest {

    public static class ArmedReader implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("reconciler.remediation.dry-run", "false", "reconciler.remediation.confirmations", "2",
                    "reconciler.remediation.min-age", "0s", "reconciler.remediation.min-age-info", "0s",
                    "reconciler.remediation.max-share", "1", "reconciler.remediation.kinds", "endpoint_orphaned");
        }
    }

    @Inject
    ScanRunner runner;

    @Inject
    RemediationService remediation;

    @Inject
    RemediationCommand command;

    @Inject
    StateStore state;

    @Test
    void plansFromTheReportAndItsMemoryButRefusesToApply() throws Exception {
        var db = DriftedDaemonAccess.database();
        DaemonRows.on(db).insertEndpoint(UUID.randomUUID().toString(), "acme/gone", "hook-" + UUID.randomUUID(), "default");
        ScanReport first = runner.scanIfIdle().orElseThrow();
        assertEquals(StateStore.Mode.MEMORY, state.mode());
        RemediationPlan unconfirmed = remediation.plan(first);
        assertTrue(unconfirmed.actions().isEmpty(), unconfirmed.toString());
        assertTrue(unconfirmed.withheld().stream().anyMatch(w -> w.kind() == FindingKind.ENDPOINT_ORPHANED
                && w.reason() == WithheldReason.UNCONFIRMED), unconfirmed.toString());

        runner.scanIfIdle().orElseThrow();
        Path file = Files.createTempFile("plan", ".json");
        try {
            assertEquals(1, command.plan("--output", file.toString()), "third scan: confirmed by the in-memory history");
            Map<String, List<String>> before = TableDump.daemon(db);
            PrintStream err = System.err;
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            int exit;
            try {
                exit = command.apply("--plan", file.toString());
            } finally {
                System.setErr(err);
            }
            assertEquals(2, exit);
            assertTrue(captured.toString(StandardCharsets.UTF_8).contains("needs persisted state it can write"), captured.toString());
            assertEquals(before, TableDump.daemon(db), "a refused apply changes nothing");
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
