package dify.reconciler.remediate;

import static dify.reconciler.testsupport.DriftedFixture.daemon;
import static dify.reconciler.testsupport.DriftedFixture.db;
import static dify.reconciler.testsupport.DriftedFixture.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.observe.DriftedDaemon;
import dify.reconciler.remediate.acting.Tokens;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.run.ScanRunner;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.TableDump;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rows a multi-row remedy removes are told to the cache clearing after its commit, all of them: against a
 * real {@code redis-server}, the daemon's keys for the uninstalled installation, and for the last uninstall's
 * declaration and serverless runtime, are gone; every other key stays.
 */
@QuarkusTest
@TestProfile(SharedProfiles.Service.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
@WithTestResource(DaemonRedis.class)
class RowSetCacheInvalidationTest {

    @BeforeAll
    static void itsKinds() {
        TestClassPolicy.use(false, FindingKind.INSTALLATION_DECLARATION_MISSING, FindingKind.PLUGIN_UNREFERENCED);
    }

    @AfterAll
    static void configuredKinds() {
        TestClassPolicy.configured();
    }

    static final String P = "plugin_daemon:";
    static final String DECLARATION = CacheInvalidationTest.DECLARATION;
    static final String INSTALLATION = CacheInvalidationTest.INSTALLATION;

    @Inject
    ScanRunner runner;

    @Inject
    RemediationService remediation;

    @Test
    void theKeysOfEveryRowAnActionRemovedAreDeleted() throws Exception {
        Map<String, List<String>> original = TableDump.daemon(db());
        String ghost = DifyDataset.fakeUid("ghost", 1);
        String lambda = DifyDataset.fakeUid("lambda", 3);
        UUID tenant = UUID.randomUUID();
        UUID otherTenant = UUID.randomUUID();
        daemon().insertPlugin(ghost, "langgenius/ghost", 1, "local", null);
        daemon().insertInstallation(tenant, "langgenius/ghost", ghost, "local", "marketplace");
        daemon().insertCategoryRow("tool_installations", tenant, "ghost", ghost, "langgenius/ghost");
        daemon().insertDeclaration(lambda, "langgenius/lambda", "{\"name\":\"lambda\"}");
        daemon().insertPlugin(lambda, "langgenius/lambda", 0, "serverless", null);
        daemon().insertServerlessRuntime(lambda, "https://functions.example/lambda", "lambda-fn", "aws_lambda", "c0ffee");

        List<String> stale = List.of(INSTALLATION + "langgenius/ghost:tenant_id:" + tenant, DECLARATION + "local:" + lambda,
                DECLARATION + "remote:" + lambda, DECLARATION + "serverless:" + lambda, P + "serverless:runtime:" + lambda);
        List<String> unrelated = List.of(INSTALLATION + "langgenius/ghost:tenant_id:" + otherTenant,
                DECLARATION + "local:" + ghost, P + "serverless:runtime:" + ghost, P + "env_init_lock:" + lambda);
        redis(r -> {
            stale.forEach(k -> r.set(k, "old row"));
            unrelated.forEach(k -> r.set(k, "keep"));
            return null;
        });
        Map<String, String> expected = snapshot();
        stale.forEach(expected::remove);

        RemediationPlan plan = remediation.plan(scan(runner));
        assertEquals(2, plan.actions().size(), plan.toString());
        RemediationPolicy p = remediation.policy();
        RemediationPolicy armed = new RemediationPolicy(true, p.allowed(), p.confirmations(), p.minAge(), p.minAgeInfo(),
                p.maxActionsPerRun(), p.maxShare(), p.planTtl());
        List<ActionResult> results = remediation.applier().apply(plan, Tokens.acting(armed), "cache");
        assertEquals(List.of(ActionOutcome.APPLIED, ActionOutcome.APPLIED), results.stream().map(ActionResult::outcome).toList(),
                results.toString());
        assertEquals(expected, snapshot(), "exactly the removed rows' keys are gone");

        for (PlannedAction a : plan.actions()) {
            remediation.restorer().restore(a.id(), "cache");
        }
        for (String table : List.of("plugins", "plugin_installations", "tool_installations", "plugin_declarations",
                "serverless_runtimes")) {
            daemon().execute("DELETE FROM " + table + " WHERE plugin_unique_identifier IN (?, ?)", ghost, lambda);
        }
        assertEquals(original, TableDump.daemon(db()));
    }

    private static <T> T redis(java.util.function.Function<io.lettuce.core.api.sync.RedisCommands<String, String>, T> work) {
        return DaemonRedis.server.withClient(DaemonRedis.DB, work);
    }

    private static Map<String, String> snapshot() {
        return redis(r -> {
            Map<String, String> all = new TreeMap<>();
            for (String k : r.keys("*")) {
                all.put(k, r.get(k));
            }
            return all;
        });
    }

}
