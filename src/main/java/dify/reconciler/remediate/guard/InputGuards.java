package dify.reconciler.remediate.guard;

import dify.reconciler.remediate.plan.GuardName;
import dify.reconciler.remediate.plan.GuardTrip;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/**
 * Whether the inputs of a plan can be trusted, decided from plain values before planning: a failed scan, a
 * listing that is empty or shrank while the database says objects should be there, a schema that lacks what
 * we rely on or has a table we do not know that names plugins by identifier. A tripped guard stops the whole
 * plan, because a cleaner that reads "missing" as "gone" deletes live data. Pure: the adapter reads the values.
 */
public final class InputGuards {

    /**
     * What one storage prefix listed, against what is expected of it.
     *
     * @param prefix          the prefix label ({@code plugin_packages})
     * @param listed          objects the scan listed under it; null when it was not listed at all
     * @param recentMax       the most objects a successful scan listed under it recently; empty without history
     * @param expected        rows of the database that say objects exist under it (0: nothing is expected)
     * @param expectedBecause what those rows are, for the detail ({@code "plugin_declarations rows"})
     */
    public record Listing(String prefix, Long listed, OptionalLong recentMax, long expected, String expectedBecause) {
    }

    /**
     * The daemon's schema as found, and what we know of it.
     *
     * @param columns          table → its columns, as the catalog has them
     * @param required         tables we cannot work without, with the columns we read
     * @param optional         tables an older daemon may lack, with the columns we read when they exist
     * @param knownUnread      tables we know and deliberately do not read (caches)
     * @param identifierColumn the column that names a plugin package ({@code plugin_unique_identifier})
     */
    public record Schema(Map<String, Set<String>> columns, Map<String, List<String>> required, Map<String, List<String>> optional,
            Set<String> knownUnread, String identifierColumn) {
    }

    private InputGuards() {
    }

    /** The trips of a successful scan's inputs, listings first, then the schema; empty when all can be trusted. */
    public static List<GuardTrip> check(List<Listing> listings, Schema schema) {
        List<GuardTrip> trips = new ArrayList<>();
        listings.forEach(l -> listing(l, trips));
        schema(schema, trips);
        return trips;
    }

    public static GuardTrip failedScan(String failedPhase, String error) {
        return new GuardTrip(GuardName.FAILED_SCAN, "the scan failed in phase " + failedPhase + ": " + error);
    }

    static void listing(Listing l, List<GuardTrip> trips) {
        if (l.expected() <= 0) {
            return; // nothing says objects exist: an empty or small listing is the truth
        }
        long listed = l.listed() == null ? 0 : l.listed();
        if (listed == 0) {
            trips.add(
                    new GuardTrip(GuardName.EMPTY_LISTING, l.prefix() + "/ listed no objects" + (l.listed() == null ? " (not listed)" : "")
                            + " while " + l.expected() + " " + l.expectedBecause() + " say objects exist there"));
            return;
        }
        if (l.recentMax().isPresent() && listed * 2 < l.recentMax().getAsLong()) {
            trips.add(new GuardTrip(GuardName.SHRUNK_LISTING, l.prefix() + "/ listed " + listed
                    + " objects, below half of its recent maximum " + l.recentMax().getAsLong() + ", while " + l.expected()
                    + " " + l.expectedBecause() + " say objects exist there"));
        }
    }

    static void schema(Schema s, List<GuardTrip> trips) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, List<String>> t : new TreeMap<>(s.required()).entrySet()) {
            if (!s.columns().containsKey(t.getKey())) {
                problems.add("table " + t.getKey() + " is missing");
            }
        }
        Map<String, List<String>> relied = new TreeMap<>(s.optional());
        relied.putAll(s.required());
        for (Map.Entry<String, List<String>> t : relied.entrySet()) {
            Set<String> present = s.columns().get(t.getKey());
            if (present == null) {
                continue; // a missing optional table is an older daemon: its checks are skipped, it holds nothing
            }
            List<String> missing = t.getValue().stream().filter(c -> !present.contains(c)).sorted().toList();
            if (!missing.isEmpty()) {
                problems.add("table " + t.getKey() + " lacks column(s) " + String.join(", ", missing));
            }
        }
        for (Map.Entry<String, Set<String>> t : new TreeMap<>(s.columns()).entrySet()) {
            boolean known = relied.containsKey(t.getKey()) || s.knownUnread().contains(t.getKey());
            if (!known && t.getValue().contains(s.identifierColumn())) {
                problems.add("unknown table " + t.getKey() + " has a " + s.identifierColumn()
                        + " column (a newer daemon may reference packages there)");
            }
        }
        if (!problems.isEmpty()) {
            trips.add(new GuardTrip(GuardName.UNKNOWN_SCHEMA, String.join("; ", problems)));
        }
    }
}
