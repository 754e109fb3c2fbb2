package dify.reconciler.testsupport;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every column of every row of every table in one schema (the daemon's), each row as {@code row_to_json} text,
 * ordered: two dumps are equal exactly when the tables hold the same data.
 */
public final class TableDump {

    private TableDump() {
    }

    public static Map<String, List<String>> of(TestDatabase db, String schema) throws SQLException {
        Map<String, List<String>> dump = new TreeMap<>();
        try (Connection c = db.connect()) {
            List<String> tables = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT table_name FROM information_schema.tables"
                    + " WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY 1")) {
                ps.setString(1, schema);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        tables.add(rs.getString(1));
                    }
                }
            }
            for (String table : tables) {
                List<String> rows = new ArrayList<>();
                String q = "\"" + schema + "\".\"" + table + "\"";
                try (PreparedStatement ps = c.prepareStatement("SELECT row_to_json(t)::text FROM " + q + " t ORDER BY 1");
                        ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(rs.getString(1));
                    }
                }
                dump.put(table, rows);
            }
        }
        return dump;
    }

    /** The daemon's tables (schema {@code public} in the fixtures). */
    public static Map<String, List<String>> daemon(TestDatabase db) throws SQLException {
        return of(db, "public");
    }

    /**
     * Puts the daemon's tables back from {@code planted} to {@code original}: rows a test inserted are deleted, rows
     * it updated are put back as they were (from the original dump's JSON). For tests that plant drift on a shared
     * dataset and must leave it as they found it.
     */
    public static void undo(TestDatabase db, Map<String, List<String>> planted, Map<String, List<String>> original) {
        DaemonRows daemon = DaemonRows.on(db);
        for (String table : planted.keySet()) {
            for (String row : planted.get(table)) {
                if (!original.get(table).contains(row)) {
                    String rowId = idOf(row);
                    daemon.execute("DELETE FROM " + table + " WHERE id = ?::uuid", rowId);
                    String was = original.get(table).stream().filter(r -> idOf(r).equals(rowId)).findFirst().orElse(null);
                    if (was != null) {
                        daemon.execute("INSERT INTO " + table + " SELECT * FROM json_populate_record(NULL::" + table + ", ?::json)", was);
                    }
                }
            }
        }
    }

    private static String idOf(String rowJson) {
        try {
            return JSON.readTree(rowJson).get("id").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
}
