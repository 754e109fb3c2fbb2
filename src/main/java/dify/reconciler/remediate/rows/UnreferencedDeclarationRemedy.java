package dify.reconciler.remediate.rows;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.ScanCounts;
import dify.reconciler.remediate.plan.WithheldReason;
import dify.reconciler.remediate.write.DaemonRowReads;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * {@code declaration_unreferenced}: a declaration no plugins row, installation or install in flight uses (the
 * daemon deletes it at the last uninstall) is quarantined.
 */
public final class UnreferencedDeclarationRemedy extends InstallRacingRemedy {

    @Override
    public Set<FindingKind> kinds() {
        return Set.of(FindingKind.DECLARATION_UNREFERENCED);
    }

    @Override
    public RemedyAction action() {
        return RemedyAction.QUARANTINE_ROW;
    }

    @Override
    public long population(FindingKind kind, ScanCounts counts) {
        return counts.rowsOf(DaemonSchema.DECLARATIONS);
    }

    /**
     * A declaration's age is measured on its package's last-modified, the upload clock (section 9: uploads re-save
     * the package but never touch the declaration), when the scan recorded it: a package uploaded again within
     * {@code min-age-info} means an install may follow, so its declaration is left alone.
     */
    @Override
    public WithheldReason withhold(Finding f, Instant now, RemediationPolicy policy) {
        return f.observed() != null && f.observed().lastModified() != null
                && f.observed().lastModified().plus(policy.minAgeOf(f.kind())).isAfter(now) ? WithheldReason.TOO_YOUNG : null;
    }

    @Override
    boolean tableAllowed(PlannedAction a) {
        return DaemonSchema.DECLARATIONS.equals(a.table());
    }

    @Override
    Done changeRows(Connection c, PlannedAction a, RowChanges changes) throws SQLException {
        List<DaemonRowReads.Locked> found = changes.lockById(c, DaemonSchema.DECLARATIONS, a.rowId(),
                List.of("t.plugin_unique_identifier"), DaemonRowReads.Wait.WAIT);
        if (found.isEmpty()) {
            return Done.skipped("the row is gone");
        }
        String uid = a.pluginUniqueIdentifier();
        if (!Objects.equals(found.get(0).values().get(0), uid)) {
            return Done.skipped("the row's identifier changed");
        }
        if (changes.hasIdentifier(c, DaemonSchema.PLUGINS, uid)) {
            return Done.skipped("a plugins row uses this identifier now (installed since)");
        }
        if (changes.countInstallations(c, uid) > 0) {
            return Done.skipped("an installation uses this identifier now");
        }
        String inFlight = changes.installInFlight(c, uid);
        if (inFlight != null) {
            return Done.skipped(inFlight);
        }
        changes.remove(c, a.table(), a.rowId(), found.get(0).json());
        return new Done(null, null, null, "declaration moved to quarantine", changes.rows());
    }
}
