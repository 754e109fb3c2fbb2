package dify.reconciler.detect;

import static dify.reconciler.catalog.FindingKind.INSTALLATION_TENANT_MISSING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Finding;
import dify.reconciler.inventory.TenantFootprint;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The guard against a Dify database that is not this daemon's: missing workspaces are held back until one workspace
 * both sides know is seen. Ids are in byte order, as the scan reads them.
 */
class TenantMissingDetectorTest {

    private static final Instant OLD = Instant.parse("2026-01-01T00:00:00Z");

    private static TenantFootprint old(String tenant) {
        return new TenantFootprint(tenant, 1, 1, 0, 0, 0, List.of("langgenius/openai"), 1, OLD);
    }

    private static TenantFootprint young(String tenant) {
        return new TenantFootprint(tenant, 0, 0, 0, 0, 3, List.of(), 0, null);
    }

    private static List<String> reported(FindingSink sink) {
        return sink.findings().stream().map(Finding::tenantId).toList();
    }

    @Test
    void workspacesBeforeTheFirstSharedOneAreReportedOnceItIsSeenInOrder() {
        FindingSink sink = new FindingSink(100);
        String notRun = new TenantMissingDetector(sink).detect(
                List.of(old("a1"), young("a2"), old("a3"), old("b0"), old("c9")).iterator(),
                List.of("a0", "b0", "b1").iterator());

        assertNull(notRun);
        assertEquals(List.of("a1", "a3", "c9"), reported(sink));
        assertEquals(3, sink.rowsInGrace(), "the young workspace's rows are counted when the held ones are released");
        assertEquals(List.of(), sink.notes());
        assertEquals(Map.of(), sink.checksNotRun());
    }

    @Test
    void anEmptyDifyDatabaseIsACheckNotRunNotEveryWorkspaceDeleted() {
        FindingSink sink = new FindingSink(100);
        String notRun = new TenantMissingDetector(sink).detect(List.of(old("a1"), old("b2")).iterator(),
                List.<String>of().iterator());

        assertEquals("Dify's tenants is empty: not the database of this daemon's Dify (reconciler.dify-database), or a"
                + " restore in progress; reporting every workspace as deleted would be wrong", notRun);
        assertEquals(0, sink.total(), sink.findings().toString());
        assertEquals(Map.of(INSTALLATION_TENANT_MISSING, notRun), sink.checksNotRun());
    }

    @Test
    void anotherInstallationsDatabaseSharingNoWorkspaceIsACheckNotRun() {
        FindingSink sink = new FindingSink(100);
        String notRun = new TenantMissingDetector(sink).detect(List.of(old("a1"), old("b2"), old("c3")).iterator(),
                List.of("a0", "b1", "b3", "d").iterator());

        assertEquals("Dify's tenants (4 workspace(s)) holds none of the 3 workspace(s) the daemon keeps rows for: not the"
                + " database of this daemon's Dify (reconciler.dify-database), or a restore in progress; reporting every"
                + " workspace as deleted would be wrong", notRun);
        assertEquals(0, sink.total(), sink.findings().toString());
    }

    @Test
    void aDifyWorkspaceWithoutDaemonRowsIsNotASharedOne() {
        // Dify's workspaces that installed nothing say nothing about whether it is this daemon's database.
        FindingSink sink = new FindingSink(100);
        String notRun = new TenantMissingDetector(sink).detect(List.of(old("b2")).iterator(), List.of("a0", "c1").iterator());

        assertTrue(notRun.startsWith("Dify's tenants (2 workspace(s)) holds none of the 1 workspace(s) "), notRun);
        assertEquals(0, sink.total(), sink.findings().toString());
    }

    @Test
    void pastTheHoldTheWorkspacesBeforeTheFirstSharedOneAreCountedInANote() {
        FindingSink sink = new FindingSink(100);
        String notRun = new TenantMissingDetector(sink, 2).detect(
                List.of(old("a1"), old("a2"), old("a3"), old("a4"), old("b0"), old("c1")).iterator(),
                List.of("b0").iterator());

        assertNull(notRun);
        assertEquals(List.of("a1", "a2", "c1"), reported(sink));
        assertEquals(List.of("2 more workspace(s) not in Dify's tenants were not reported in this scan: more than 2 came"
                + " before the first workspace both databases know (held back in case Dify's database was not this"
                + " daemon's)"), sink.notes());
    }
}
