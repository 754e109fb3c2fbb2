package dify.reconciler.detect;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.Severity;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Collects what the detectors find. Counts (by kind, severity, bytes, and what the grace period left out)
 * are exact; the list of findings itself is capped so a pathological database cannot exhaust the heap.
 * Not thread-safe: one scan, one sink.
 */
public final class FindingSink {

    private final int maxFindings;
    private final List<Finding> findings = new ArrayList<>();
    private final Map<FindingKind, Long> byKind = new EnumMap<>(FindingKind.class);
    private final Map<FindingKind, Long> bytesByKind = new EnumMap<>(FindingKind.class);
    private final List<String> notes = new ArrayList<>();
    private long total;
    private long rowsInGrace;
    private long objectsInGrace;
    private long unrecognizedKeys;
    private long packagesUnverified;
    private final Consumer<Finding> everyFinding;

    public FindingSink(int maxFindings) {
        this(maxFindings, finding -> { });
    }

    /**
     * @param everyFinding told about every finding, also those the capped list leaves out: what acts on
     *        findings (the ledger, a remediation plan) must see all of them, not a report's first page
     */
    public FindingSink(int maxFindings, Consumer<Finding> everyFinding) {
        this.maxFindings = maxFindings;
        this.everyFinding = everyFinding;
    }

    public void add(Finding finding) {
        everyFinding.accept(finding);
        total++;
        byKind.merge(finding.kind(), 1L, Long::sum);
        if (finding.bytes() != null) {
            bytesByKind.merge(finding.kind(), finding.bytes(), Long::sum);
        }
        if (findings.size() < maxFindings) {
            findings.add(finding);
        }
    }

    public void rowInGrace() {
        rowsInGrace++;
    }

    public void rowsInGrace(long count) {
        rowsInGrace += count;
    }

    public void objectInGrace() {
        objectsInGrace++;
    }

    /** An object under a known prefix whose key has no shape we know: counted, never reported as an orphan. */
    public void unrecognizedKey() {
        unrecognizedKeys++;
    }

    /** A package deep verify could not judge (ZIP64, encryption: never written by the daemon's packager). */
    public void packageUnverified() {
        packagesUnverified++;
    }

    public long packagesUnverified() {
        return packagesUnverified;
    }

    public void note(String note) {
        notes.add(note);
    }

    public List<Finding> findings() {
        return Collections.unmodifiableList(findings);
    }

    public boolean truncated() {
        return total > findings.size();
    }

    public long total() {
        return total;
    }

    public long count(FindingKind kind) {
        return byKind.getOrDefault(kind, 0L);
    }

    /** Every kind, 0 when none. */
    public Map<FindingKind, Long> countsByKind() {
        Map<FindingKind, Long> all = new EnumMap<>(FindingKind.class);
        for (FindingKind k : FindingKind.values()) {
            all.put(k, byKind.getOrDefault(k, 0L));
        }
        return all;
    }

    /** Every severity, 0 when none. */
    public Map<Severity, Long> countsBySeverity() {
        Map<Severity, Long> all = new EnumMap<>(Severity.class);
        for (Severity s : Severity.values()) {
            all.put(s, 0L);
        }
        byKind.forEach((k, n) -> all.merge(k.severity(), n, Long::sum));
        return all;
    }

    public Map<FindingKind, Long> bytesByKind() {
        return Collections.unmodifiableMap(bytesByKind);
    }

    public long rowsInGrace() {
        return rowsInGrace;
    }

    public long objectsInGrace() {
        return objectsInGrace;
    }

    public long unrecognizedKeys() {
        return unrecognizedKeys;
    }

    public List<String> notes() {
        return Collections.unmodifiableList(notes);
    }
}
