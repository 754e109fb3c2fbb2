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
import java.util.function.Predicate;

/**
 * Collects what the detectors find. Counts (by kind, severity, bytes, and what the grace period left out)
 * are exact; the list of findings itself is capped so a pathological database cannot exhaust the heap.
 *
 * <p>The cap keeps the most severe findings: once it is reached, a finding more severe than the least severe
 * one kept replaces that one (the most recently kept of the lowest severity), so thousands of orphaned
 * endpoints (info) cannot push a critical finding out of the report. Within one severity the first found
 * are kept. Memory stays bounded by the cap.
 *
 * <p>Not thread-safe: one scan, one sink.
 */
public final class FindingSink {

    private final int maxFindings;
    /** Kept findings per severity, each in the order found; together at most {@code maxFindings}. */
    private final Map<Severity, List<Finding>> kept = new EnumMap<>(Severity.class);
    private int keptCount;
    private final Map<FindingKind, Long> byKind = new EnumMap<>(FindingKind.class);
    private final Map<FindingKind, Long> bytesByKind = new EnumMap<>(FindingKind.class);
    private final List<String> notes = new ArrayList<>();
    private final Map<FindingKind, String> checksNotRun = new EnumMap<>(FindingKind.class);
    private long total;
    private long rowsInGrace;
    private long objectsInGrace;
    private long unrecognizedKeys;
    private long packagesUnverified;
    private final Consumer<Finding> everyFinding;
    private Predicate<Finding> admit;

    public FindingSink(int maxFindings) {
        this(maxFindings, finding -> {});
    }

    /**
     * @param everyFinding told about every finding, also those the capped list leaves out: what acts on
     *        findings (the ledger, a remediation plan) must see all of them, not a report's first page
     */
    public FindingSink(int maxFindings, Consumer<Finding> everyFinding) {
        this.maxFindings = maxFindings;
        this.everyFinding = everyFinding;
        for (Severity s : Severity.values()) {
            kept.put(s, new ArrayList<>());
        }
    }

    /**
     * From now on, a finding is kept only when {@code admit} accepts it (null: every finding); a finding it refuses is
     * neither counted nor passed on. For findings that must be confirmed first ({@link InventoryConfirmation}).
     */
    public void admitOnly(Predicate<Finding> admit) {
        this.admit = admit;
    }

    public void add(Finding finding) {
        if (admit != null && !admit.test(finding)) {
            return;
        }
        everyFinding.accept(finding);
        total++;
        byKind.merge(finding.kind(), 1L, Long::sum);
        if (finding.bytes() != null) {
            bytesByKind.merge(finding.kind(), finding.bytes(), Long::sum);
        }
        if (keptCount < maxFindings) {
            kept.get(finding.severity()).add(finding);
            keptCount++;
            return;
        }
        Severity lowest = lowestKept();
        if (lowest != null && finding.severity().compareTo(lowest) > 0) {
            List<Finding> victims = kept.get(lowest);
            victims.remove(victims.size() - 1);
            kept.get(finding.severity()).add(finding);
        }
    }

    private Severity lowestKept() {
        for (Severity s : Severity.values()) { // least severe first
            if (!kept.get(s).isEmpty()) {
                return s;
            }
        }
        return null;
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

    /**
     * A check that was asked for but could not run (e.g. Dify's database unreachable): its kind's count is then no
     * verdict. Said in the report (a note and {@link #checksNotRun()}) and in the metrics, never as "none found".
     */
    public void checkNotRun(FindingKind kind, String reason) {
        checksNotRun.put(kind, reason);
        note("the " + kind.label() + " check did not run: " + reason);
    }

    /** The checks asked for that could not run in this scan, with the reason. */
    public Map<FindingKind, String> checksNotRun() {
        return Collections.unmodifiableMap(checksNotRun);
    }

    /** The kept findings, most severe first; within a severity in the order found. */
    public List<Finding> findings() {
        List<Finding> all = new ArrayList<>(keptCount);
        for (int i = Severity.values().length - 1; i >= 0; i--) {
            all.addAll(kept.get(Severity.values()[i]));
        }
        return Collections.unmodifiableList(all);
    }

    public boolean truncated() {
        return total > keptCount;
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
