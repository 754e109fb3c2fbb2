package dify.reconciler.remediate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.planner.PlanDocument;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A plan file is input: an object action is accepted only on keys under its kind's daemon prefixes. */
class ObjectPlanDocumentTest {

    private static final Instant AT = Instant.parse("2026-11-29T12:00:00Z");
    private static final String UID = "langgenius/openai:0.0.19@6b2b2e115b1b9d34a63eb26fadcc33d74330fd2ec06071bb30b8a24b1fab107a";
    private static final PlanDocument.Version SEEN = new PlanDocument.Version(12L, "\"abc\"", AT.toString());

    private static PlanDocument withAction(String kind, String action, String uid, String key, String targetKey) {
        return new PlanDocument("p", AT.toString(), AT.plusSeconds(3600).toString(), "postgresql://h:5432/d", "r",
                List.of(new PlanDocument.Action("p/1", kind, action, null, null, uid, null, null, "d", key, targetKey, SEEN)),
                List.of(), 0);
    }

    @Test
    void roundTripsObjectActionsWithTheirKeysAndObservedVersionThroughJson() throws Exception {
        RemediationPlan plan = new RemediationPlan("p", AT, AT.plusSeconds(3600), "db", "r", List.of(
                new PlannedAction("p/1", FindingKind.PACKAGE_ORPHANED, RemedyAction.QUARANTINE_OBJECT, null, null, UID, null, null,
                        "d", "plugin_packages/" + UID, null, ObservedVersion.object(12, AT, "\"abc\"")),
                new PlannedAction("p/2", FindingKind.INSTALLED_OBJECT_MISSING, RemedyAction.COPY_OBJECT, "plugins", "row", UID,
                        "langgenius/openai", null, "d", "plugin_packages/" + UID, "plugin/" + UID, null)),
                List.of(), 0);
        ObjectMapper json = new ObjectMapper();
        String text = json.writeValueAsString(PlanDocument.of(plan));
        assertTrue(text.contains("\"targetKey\":\"plugin/" + UID + "\""), text);
        RemediationPlan back = json.readValue(text, PlanDocument.class).toPlan(StorageLayout.DEFAULT);
        assertEquals(plan.actions(), back.actions());
    }

    @Test
    void refusesKeysOutsideTheKindsDaemonPrefix() {
        for (String key : new String[] {"persistence/tenant/x", "plugin/" + UID, "reconciler-quarantine/plugin_packages/" + UID,
                "plugin_packages/not an identifier", "plugin_packages/"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> withAction("package_orphaned", "quarantine_object", UID, key, null).toPlan(StorageLayout.DEFAULT), key);
            assertTrue(e.getMessage().contains("is not one we make"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> withAction("invalid_installed_key", "quarantine_object", null,
                "plugin_packages/x", null).toPlan(StorageLayout.DEFAULT));
        assertThrows(IllegalArgumentException.class, () -> withAction("package_orphaned", "quarantine_object", UID,
                "plugin_packages/" + UID, "plugin/" + UID).toPlan(StorageLayout.DEFAULT), "a quarantine has no target");
        withAction("package_orphaned", "quarantine_object", UID, "plugin_packages/" + UID, null).toPlan(StorageLayout.DEFAULT);
        withAction("invalid_installed_key", "quarantine_object", null, "plugin/x", null).toPlan(StorageLayout.DEFAULT);
    }

    @Test
    void refusesACopyBetweenOtherKeysThanItsRemedysOrAnotherLayouts() {
        assertThrows(IllegalArgumentException.class, () -> withAction("installed_object_missing", "copy_object", UID,
                "plugin_packages/" + UID, "persistence/" + UID).toPlan(StorageLayout.DEFAULT));
        assertThrows(IllegalArgumentException.class, () -> withAction("installed_object_missing", "copy_object", UID,
                "plugin/" + UID, "plugin_packages/" + UID).toPlan(StorageLayout.DEFAULT), "the wrong direction");
        PlanDocument overwriting = withAction("installed_object_missing", "copy_object", UID, "plugin_packages/" + UID,
                "plugin/" + UID);
        assertThrows(IllegalArgumentException.class, () -> overwriting.toPlan(StorageLayout.DEFAULT),
                "a copy to a missing key with an observed version would replace what is there");
        PlanDocument good = new PlanDocument("p", AT.toString(), AT.plusSeconds(3600).toString(), "db", "r",
                List.of(new PlanDocument.Action("p/1", "installed_object_missing", "copy_object", "plugins", "row", UID, null,
                        null, "d", "plugin_packages/" + UID, "plugin/" + UID, null)),
                List.of(), 0);
        good.toPlan(StorageLayout.DEFAULT);
        withAction("checksum_mismatch", "copy_object", UID, "plugin_packages/" + UID, "plugin/" + UID).toPlan(StorageLayout.DEFAULT);
        StorageLayout other = StorageLayout.of("pkgs", "installed", "assets", "persistence");
        assertThrows(IllegalArgumentException.class, () -> good.toPlan(other), "made for another layout");
    }
}
