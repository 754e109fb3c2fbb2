package dify.reconciler.remediate.record;

import java.util.Set;

/**
 * One daemon row a committed action changed, as the action saw it before the change: its table, the whole old
 * row as {@code row_to_json} text (what {@code quarantine_rows} keeps), and which columns changed.
 *
 * @param columns the columns set by an update (e.g. {@code refers}); empty when the whole row was removed or put back
 */
public record ChangedRow(String table, String rowJson, Set<String> columns) {

    public ChangedRow {
        columns = Set.copyOf(columns);
    }

    /** A row removed (quarantined) or put back (restored) as a whole. */
    public static ChangedRow whole(String table, String rowJson) {
        return new ChangedRow(table, rowJson, Set.of());
    }

    public boolean wholeRow() {
        return columns.isEmpty();
    }
}
