package dify.reconciler.state;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.inventory.storage.CopyChunk;
import java.util.EnumMap;
import java.util.Map;

/**
 * Turns findings into the COPY text of {@code scan_findings} ({@link LedgerStaging#STAGED_COLUMNS}): the kind
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

    /**
     * A kind's staging code: its position in {@link FindingKind#values()}, from 1, which the merge binds as the array of
     * labels of the same process (so the codes never outlive the run that staged them).
     */
    private static final Map<FindingKind, Integer> KIND_CODES = new EnumMap<>(FindingKind.class);

    static {
        FindingKind[] kinds = FindingKind.values();
        for (int i = 0; i < kinds.length; i++) {
            KIND_CODES.put(kinds[i], i + 1);
        }
    }

    private final StagingDictionary dictionary = new StagingDictionary();
    private final EvidenceText evidence = new EvidenceText();
    private final String[] lastValues = new String[3];
    private final int[] lastCodes = new int[3];
    /** The code of the evidence in {@link #evidence} (0: staged as text). */
    private int evidenceCode;

    /** The dictionary the staged codes refer to, which the merge binds. */
    StagingDictionary dictionary() {
        return dictionary;
    }

    /** Appends {@code f}'s staged row to {@code chunk}. */
    void stage(Finding f, CopyChunk chunk) {
        chunk.column().number(KIND_CODES.get(f.kind()));
        subject(f, chunk.column());
        coded(f.pluginUniqueIdentifier(), 0, chunk);
        coded(f.pluginId(), 1, chunk);
        coded(f.tenantId(), 2, chunk);
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

    /**
     * A value's two columns: its code and null, or null and its text (both null for null). {@code column} is the
     * value's position (0 identifier, 1 plugin id, 2 tenant): a value equal to the previous finding's there has the
     * same code (a value's code, or that it has none, never changes in a run), found with one compare instead of a
     * hash and a compare; a scan's findings come sorted, so neighbours often share their plugin.
     */
    private void coded(String value, int column, CopyChunk chunk) {
        int code;
        if (value != null && value.equals(lastValues[column])) {
            code = lastCodes[column];
        } else {
            code = dictionary.code(value);
            lastValues[column] = value;
            lastCodes[column] = code;
        }
        if (code > 0) {
            chunk.column().number(code).nullColumn();
        } else if (value == null) {
            chunk.nullColumn().nullColumn();
        } else {
            chunk.nullColumn().column().text(value);
        }
    }
}
