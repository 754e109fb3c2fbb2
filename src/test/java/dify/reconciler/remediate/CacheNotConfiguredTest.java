package dify.reconciler.remediate;

import static dify.reconciler.remediate.CacheInvalidationTest.audit;
import static dify.reconciler.remediate.CacheInvalidationTest.metric;
import static dify.reconciler.testsupport.DriftedFixture.daemon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.observe.DriftedDaemon;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.planner.PlanDocument;
import dify.reconciler.run.RemediationCommand;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Without the daemon's Redis settings nothing is attempted, and every row action that made cached keys stale
 * says that the daemon may serve the old value for up to 30 minutes (output, audit, metric); a refers repair
 * says that nothing cached changed.
 */
@QuarkusTest
@TestProfile(SharedProfiles.Command.class)
@WithTestResource(value = DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
class CacheNotConfiguredTest {

    @BeforeAll
    static void itsKinds() {
        TestClassPolicy.use(true, FindingKind.REFERS_TOO_LOW, FindingKind.REFERS_DRIFT, FindingKind.CATEGORY_ROW_ORPHANED,
                FindingKind.ENDPOINT_ORPHANED, FindingKind.INVALID_IDENTIFIER_ROW);
    }

    @AfterAll
    static void configuredKinds() {
        TestClassPolicy.configured();
    }

    @Inject
    RemediationCommand command;

    @Inject
    ObjectMapper mapper;

    @Test
    void withoutRedisSettingsTheReportSaysTheDaemonMayServeTheOldValue() throws Exception {
        String hook = "hook-" + UUID.randomUUID();
        daemon().insertEndpoint(UUID.randomUUID().toString(), "acme/gone", hook, "default");
        assertEquals(1L, daemon().queryLong("SELECT count(*) FROM plugins WHERE plugin_id = 'langgenius/plugin2'"));
        daemon().execute("UPDATE plugins SET refers = 7 WHERE plugin_id = 'langgenius/plugin2'");
        double notConfiguredBefore = metric("not_configured");
        Path file = Files.createTempFile("plan", ".json");
        try {
            assertEquals(1, command.plan("--output", file.toString()));
            RemediationPlan plan = mapper.readValue(file.toFile(), PlanDocument.class).toPlan();
            assertEquals(2, plan.actions().size(), plan.toString());

            PrintStream original = System.out;
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            try (PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
                System.setOut(capture);
                assertEquals(0, command.apply("--plan", file.toString()));
            } finally {
                System.setOut(original);
            }
            String out = buffer.toString(StandardCharsets.UTF_8);
            assertTrue(out.contains("applied 2,"), out);
            assertTrue(out.contains("cache: not cleared (no Redis settings: REDIS_HOST is not set): 1 cached key(s) may be stale;"
                    + " the daemon may serve the old value for up to 30 minutes"), out);
            assertTrue(out.contains("cache: nothing the daemon caches in Redis changed"), out);
            assertEquals(1.0, metric("not_configured") - notConfiguredBefore, "the endpoint's one key");

            for (PlannedAction a : plan.actions()) {
                String audited = audit(a.id(), "applied");
                assertTrue(a.kind() == FindingKind.ENDPOINT_ORPHANED
                        ? audited.contains("the daemon may serve the old value for up to 30 minutes")
                        : audited.equals("nothing the daemon caches in Redis changed"), a + ": " + audited);
            }
        } finally {
            Files.deleteIfExists(file);
            daemon().execute("DELETE FROM endpoints WHERE hook_id = ?", hook);
            daemon().execute("UPDATE plugins SET refers = 2 WHERE plugin_id = 'langgenius/plugin2'");
        }
    }
}
