package dify.reconciler.remediate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.remediate.plan.GuardName;
import dify.reconciler.remediate.plan.GuardTrip;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.WithheldItem;
import dify.reconciler.remediate.plan.WithheldReason;
import dify.reconciler.remediate.planner.PlanDocument;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A plan file is input: apply accepts only the actions we make, on the tables each remedy touches. */
class PlanDocumentTest {

    private static final Instant AT = Instant.parse("2026-11-29T12:00:00Z");

    private static PlanDocument withAction(String kind, String action, String table) {
        return new PlanDocument("p", AT.toString(), AT.plusSeconds(3600).toString(), "postgresql://h:5432/d", "r",
                List.of(new PlanDocument.Action("p/1", kind, action, table, "00000000-0000-0000-0000-000000000001", null, null,
                        null, "d")),
                List.of(), 0);
    }

    @Test
    void roundTripsAPlan() {
        RemediationPlan plan = new RemediationPlan("p", AT, AT.plusSeconds(3600), "db", "r",
                List.of(new PlannedAction("p/1", FindingKind.REFERS_TOO_LOW, RemedyAction.UPDATE_ROW, "plugins", "id", "a/b:1@x",
                        "a/b", null, "d")),
                List.of(new WithheldItem(FindingKind.PACKAGE_MISSING, WithheldReason.REPORT_ONLY, null,
                        null, "plugin_packages/x")),
                1);
        PlanDocument doc = PlanDocument.of(plan);
        assertEquals("refers_too_low", doc.actions().get(0).kind());
        assertEquals("update_row", doc.actions().get(0).action());
        assertEquals("report_only", doc.withheld().get(0).reason());
        RemediationPlan back = doc.toPlan();
        assertEquals(plan.actions(), back.actions());
        assertEquals(plan.expiresAt(), back.expiresAt());
        assertEquals("db", back.database());
    }

    @Test
    void refusesActionsOnTablesTheirRemedyNeverTouches() {
        for (String table : new String[] {"account_plugin_permissions", "plugin_installations", "endpoints", "pg_authid", "x; DROP"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> withAction("refers_too_low", "update_row", table).toPlan(), table);
            assertTrue(e.getMessage().contains("is not one we make"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> withAction("endpoint_orphaned", "quarantine_row", "plugins").toPlan());
        assertThrows(IllegalArgumentException.class,
                () -> withAction("category_row_orphaned", "quarantine_row", "plugin_declarations").toPlan());
        withAction("category_row_orphaned", "quarantine_row", "tool_installations").toPlan();
        withAction("invalid_identifier_row", "quarantine_row", "plugin_installations").toPlan();
        withAction("installation_declaration_missing", "quarantine_row", "plugin_installations").toPlan();
        withAction("declaration_unreferenced", "quarantine_row", "plugin_declarations").toPlan();
        withAction("plugin_unreferenced", "quarantine_row", "plugins").toPlan();
        assertThrows(IllegalArgumentException.class,
                () -> withAction("installation_declaration_missing", "quarantine_row", "tool_installations").toPlan());
        assertThrows(IllegalArgumentException.class, () -> withAction("plugin_unreferenced", "quarantine_row",
                "plugin_declarations").toPlan());
    }

    @Test
    void aStorageSizeRepairCarriesTheValueItComparesAndTheValueItSets() {
        PlanDocument.Action sized = new PlanDocument.Action("p/1", "tenant_storage_drift", "update_row", "tenant_storages",
                "00000000-0000-0000-0000-000000000001", null, "a/b", "t", "d", 5L, 319L);
        PlanDocument doc = new PlanDocument("p", AT.toString(), AT.plusSeconds(3600).toString(), "db", "r", List.of(sized),
                List.of(), 0);
        PlannedAction back = doc.toPlan().actions().get(0);
        assertEquals(5L, back.observedValue());
        assertEquals(319L, back.targetValue());
        // Without them (an edited file, or one from an older version) there is nothing safe to set.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> withAction("tenant_storage_drift", "update_row", "tenant_storages").toPlan());
        assertTrue(e.getMessage().contains("is not one we make"), e.getMessage());
        PlanDocument.Action negative = new PlanDocument.Action("p/1", "tenant_storage_drift", "update_row", "tenant_storages",
                "00000000-0000-0000-0000-000000000001", null, "a/b", "t", "d", 5L, -1L);
        assertThrows(IllegalArgumentException.class, () -> new PlanDocument("p", AT.toString(), AT.plusSeconds(3600).toString(),
                "db", "r", List.of(negative), List.of(), 0).toPlan());
    }

    @Test
    void refusesAnActionThatIsNotTheKindsRemedyOrAReportOnlyKind() {
        assertThrows(IllegalArgumentException.class, () -> withAction("refers_drift", "quarantine_row", "plugins").toPlan());
        assertThrows(IllegalArgumentException.class, () -> withAction("duplicate_rows", "quarantine_row", "plugins").toPlan());
        assertThrows(IllegalArgumentException.class, () -> withAction("tenant_storage_drift", "quarantine_row", "tenant_storages")
                .toPlan());
        assertThrows(IllegalArgumentException.class, () -> withAction("refers_drift", "drop_table", "plugins").toPlan());
    }

    @Test
    void guardsSurviveJsonAndAGuardedDocumentMayNotCarryActions() throws Exception {
        GuardTrip trip = new GuardTrip(GuardName.SHRUNK_LISTING, "plugin/ listed 1 objects");
        RemediationPlan guarded = new RemediationPlan("p", AT, AT.plusSeconds(3600), "db", "r", List.of(),
                List.of(new WithheldItem(FindingKind.ENDPOINT_ORPHANED, WithheldReason.GUARD, "endpoints", "id", null)), 1,
                List.of(trip));
        ObjectMapper json = new ObjectMapper();
        String text = json.writeValueAsString(PlanDocument.of(guarded));
        assertTrue(text.contains("\"guards\":[{\"guard\":\"shrunk_listing\",\"detail\":\"plugin/ listed 1 objects\"}]"), text);
        assertTrue(text.contains("\"reason\":\"guard\""), text);
        assertEquals(List.of(trip), json.readValue(text, PlanDocument.class).toPlan().guards());

        // A plan file from before guards existed reads as unguarded.
        String old = json.writeValueAsString(withAction("refers_drift", "update_row", "plugins")).replace(",\"guards\":[]", "");
        assertTrue(!old.contains("guards"), old);
        assertEquals(List.of(), json.readValue(old, PlanDocument.class).toPlan().guards());

        PlanDocument doc = withAction("refers_drift", "update_row", "plugins");
        PlanDocument tampered = new PlanDocument(doc.planId(), doc.createdAt(), doc.expiresAt(), doc.database(),
                doc.runId(), doc.actions(), doc.withheld(), doc.withheldTotal(), List.of(new PlanDocument.Guard("breaker", "tripped")));
        assertThrows(IllegalArgumentException.class, tampered::toPlan);
    }

    @Test
    void aPlanCarriesNoModeAndAnOldPlanFileWithDryRunStillReads() throws Exception {
        ObjectMapper json = new ObjectMapper(); // fails on unknown fields: only the annotation lets dryRun through
        String written = json.writeValueAsString(withAction("refers_too_low", "update_row", "plugins"));
        assertTrue(!written.contains("dryRun"), "a plan file no longer says armed or not: " + written);
        for (String mode : new String[] {"true", "false"}) {
            String old = written.replace("\"database\"", "\"dryRun\":" + mode + ",\"database\"");
            assertTrue(old.contains("\"dryRun\":" + mode), old);
            RemediationPlan plan = json.readValue(old, PlanDocument.class).toPlan();
            assertEquals(json.readValue(written, PlanDocument.class).toPlan(), plan, "dryRun=" + mode + " is ignored");
        }
    }
}
