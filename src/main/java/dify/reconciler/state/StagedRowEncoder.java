package dify.reconciler.state;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.inventory.storage.CopyChunk;

/**
 * Turns findings into the COPY text of {@code scan_findings} ({@link PostgresLedgerUpdate#STAGED_COLUMNS}): the kind
 * as its position in {@link FindingKind#values()} (from 1), the subject ({@link FindingIdentity#subject}), then the
 * plugin identifier, plugin id, tenant and compact evidence ({@link LedgerEvidence}) each as a code of the run's
 * {@link StagingDictionary} or, when it has none, as text.
 * <p>
 * Made for a million findings a scan on the C1 compiler the Deployment runs: every value goes from the finding
 * straight into the chunk's bytes (the subject from its parts, the evidence from one reused buffer), and an evidence
 * equal to the previous finding's is neither written nor looked up again. {@code StagedRowEncoderTest} holds it to
 * the bytes the straightforward encoding made. Not thread-safe: one per staging.
 */
final class StagedRowEncoder {

    private final StagingDictionary dictionary = new StagingDictionary();
    private final EvidenceText evidence = new EvidenceText();
    /** The code of the evidence in {@link #evidence} (0: staged as text). */
    private int evidenceCode;

    /** The dictionary the staged codes refer to, which the merge binds. */
    StagingDictionary dictionary() {
        return dictionary;
    }

    /** Appends {@code f}'s staged row to {@code chunk}. */
    void stage(Finding f, CopyChunk chunk) {
        chunk.column().number(f.kind().ordinal() + 1);
        subject(f, chunk.column());
        coded(f.pluginUniqueIdentifier(), chunk);
        coded(f.pluginId(), chunk);
        coded(f.tenantId(), chunk);
        if (evidence.write(f)) {
            evidenceCode = dictionary.code(evidence.chars(), evidence.length(),
                    StagingDictionary.hash(evidence.chars(), evidence.length()));
        }
        if (evidenceCode > 0) {
            chunk.column().number(evidenceCode).nullColumn();
        } else {
            chunk.nullColumn().column().text(evidence.chars(), 0, evidence.length());
        }
        chunk.endRow();
    }

    /** {@link FindingIdentity#subject}, written from its parts. */
    private static void subject(Finding f, CopyChunk chunk) {
        if (f.table() != null) {
            chunk.text("row:").text(f.table()).text("/").text(String.valueOf(f.id()));
            if (f.key() != null) {
                chunk.text(" object:").text(f.key());
            }
        } else if (f.key() != null) {
            chunk.text("object:").text(f.key());
        } else {
            chunk.text("detail:").text(f.detail());
        }
    }

    /** A value's two columns: its code and null, or null and its text (both null for null). */
    private void coded(String value, CopyChunk chunk) {
        int code = dictionary.code(value);
        if (code > 0) {
            chunk.column().number(code).nullColumn();
        } else if (value == null) {
            chunk.nullColumn().nullColumn();
        } else {
            chunk.nullColumn().column().text(value);
        }
    }
}
