package dify.reconciler.remediate.objects;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.ScanCounts;
import dify.reconciler.remediate.write.DaemonRowReads;
import java.sql.Connection;
import java.util.Set;

/**
 * {@code invalid_installed_key}: an object under {@code plugin/} whose name is not an identifier the daemon can
 * parse (it logs it as invalid every 30 s) is moved to quarantine. The key can never become valid, so nothing in
 * the database is re-checked; the object's version still is.
 */
public final class InvalidKeyRemedy extends ObjectRemedy {

    @Override
    public Set<FindingKind> kinds() {
        return Set.of(FindingKind.INVALID_INSTALLED_KEY);
    }

    @Override
    public RemedyAction action() {
        return RemedyAction.QUARANTINE_OBJECT;
    }

    @Override
    public long population(FindingKind kind, ScanCounts counts) {
        return counts.installedObjects();
    }

    @Override
    public Work work() {
        return Work.QUARANTINE;
    }

    @Override
    Keys keys(Finding f, StorageLayout layout) {
        return new Keys(f.key(), null);
    }

    /**
     * The folder placeholder (the installed prefix itself, an empty object that S3 consoles and copy tools create) is
     * one: the daemon lists it and logs an empty identifier as invalid every 30 s. On GCS the daemon also reads
     * plugin&lt;identifier&gt; (no slash) as installed: reported, so quarantined too.
     */
    @Override
    String problem(PlannedAction a, StorageLayout layout) {
        return a.targetKey() == null && layout.rawInstalledIdentifier(a.key()) != null
                ? null
                : OrphanedObjectRemedy.quarantinable(a, layout.installed(), true, false);
    }

    @Override
    public String recheck(Connection c, PlannedAction a, DaemonRowReads reads) {
        return null;
    }
}
