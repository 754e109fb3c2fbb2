package dify.reconciler.state;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * When each still-present finding was first seen, and by how many successful scans in a row, in memory: the
 * ledger of a service whose state is not persisted (lost on restart: a restarted service starts every age
 * again at its first scan).
 *
 * <p>Identity is {@link FindingIdentity}'s, the persisted ledger's. The input is a report's finding list, which is capped at
 * {@code reconciler.max-findings-per-report}: that cap also bounds this map. A kind whose findings were cut
 * from the list (the report's counts are larger than what the list holds) falls back to the time since
 * which the kind has been continuously non-zero, so its age is never reset by truncation; for such a kind
 * the age is that of the kind, not of one finding.
 *
 * <p>Not thread-safe; the caller serialises {@link #update} and reads.
 */
public final class FindingAges {

    private Map<String, FindingHistory> seen = new HashMap<>();
    private final Map<FindingKind, Instant> kindPresentSince = new EnumMap<>(FindingKind.class);
    private final Map<FindingKind, Instant> oldest = new EnumMap<>(FindingKind.class);

    /**
     * Takes the findings of one successful scan.
     *
     * @param seenAt   when that scan started (the time a new finding is first seen at)
     * @param findings the scan's (possibly capped) finding list
     * @param counts   the scan's exact counts per kind
     */
    public void update(Instant seenAt, List<Finding> findings, Map<FindingKind, Long> counts) {
        update(seenAt, findings, counts, Set.of());
    }

    /** As {@link #update(Instant, List, Map)}; the kinds in {@code notRun} were not checked, so they keep what they had. */
    public void update(Instant seenAt, List<Finding> findings, Map<FindingKind, Long> counts, Set<FindingKind> notRun) {
        Objects.requireNonNull(seenAt, "seenAt");
        Map<String, FindingHistory> next = new HashMap<>();
        Map<FindingKind, Instant> oldestBefore = new EnumMap<>(oldest);
        for (FindingKind kind : notRun) {
            seen.forEach((identity, history) -> {
                if (identity.startsWith(kind.label() + ' ')) {
                    next.put(identity, history);
                }
            });
        }
        Map<FindingKind, Long> listed = new EnumMap<>(FindingKind.class);
        Map<FindingKind, Instant> minByKind = new EnumMap<>(FindingKind.class);
        for (Finding f : findings) {
            String identity = FindingIdentity.of(f);
            FindingHistory before = seen.get(identity);
            Instant first = before == null ? seenAt : before.firstSeen();
            if (!next.containsKey(identity)) {
                next.put(identity, new FindingHistory(first, before == null ? 1 : before.consecutiveScans() + 1));
            }
            listed.merge(f.kind(), 1L, Long::sum);
            minByKind.merge(f.kind(), first, (a, b) -> a.isBefore(b) ? a : b);
        }
        seen = next;
        oldest.clear();
        for (FindingKind kind : FindingKind.values()) {
            if (notRun.contains(kind)) {
                if (oldestBefore.containsKey(kind)) {
                    oldest.put(kind, oldestBefore.get(kind));
                }
                continue;
            }
            long count = counts.getOrDefault(kind, 0L);
            if (count <= 0) {
                kindPresentSince.remove(kind);
                continue;
            }
            kindPresentSince.putIfAbsent(kind, seenAt);
            Instant min = minByKind.get(kind);
            boolean complete = listed.getOrDefault(kind, 0L) >= count;
            oldest.put(kind, complete && min != null ? min : kindPresentSince.get(kind));
        }
    }

    /** When the oldest still-present finding of {@code kind} was first seen; null when there is none. */
    public Instant oldest(FindingKind kind) {
        return oldest.get(kind);
    }

    /** Since when, and by how many successful scans in a row, {@code f} has been seen; null if not tracked. */
    public FindingHistory history(Finding f) {
        return seen.get(FindingIdentity.of(f));
    }

    /** The oldest first-seen time of each kind present. */
    public Map<FindingKind, Instant> oldest() {
        return Map.copyOf(oldest);
    }

    /** How many findings are tracked (at most the report cap). */
    public int tracked() {
        return seen.size();
    }
}
