package dify.reconciler.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.RunHistory;
import dify.reconciler.state.FindingHistory;
import dify.reconciler.state.LedgerEvidence;
import dify.reconciler.state.StateStore;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import javax.sql.DataSource;

/**
 * {@code GET /api/v1/ledger}: every open finding of the finding ledger (what the last successful scans saw), not
 * only the report's capped list; filtered like {@code /api/v1/findings} plus {@code q} (a case-insensitive part of
 * the row id, key, identifier, plugin or tenant), most severe first, then by kind and first seen, paged. The web
 * console's findings page reads it. With state in memory there is no ledger beyond the report: it answers the
 * latest successful report's list, {@code source} says which.
 */
@Path("/api/v1/ledger")
@Produces(MediaType.APPLICATION_JSON)
public class LedgerResource {

    /** One open finding with its history. */
    public record Entry(String kind, String severity, String table, String id, String key, String pluginUniqueIdentifier,
            String pluginId, String tenantId, Long bytes, String detail, String firstSeen, String lastSeen,
            Integer consecutiveScans) {
    }

    /** One page: {@code source} is {@code ledger} (our schema) or {@code report} (state in memory). */
    public record LedgerPage(String source, boolean findingsTruncated, long total, int offset, int limit, List<Entry> findings) {
    }

    private static final String SEVERITY_ORDER = "CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END";
    /**
     * What {@code q} searches: the subject (it spells the row id or key), the plugin identifier, plugin and tenant
     * (columns since V13), and an id or key the compact evidence holds when the subject does not spell it (rare: only
     * those entries' evidence is parsed). Lowered in the database's own collation: since V15 the subject, plugin and
     * tenant are {@code COLLATE "C"}, under which {@code lower} changes only ASCII letters, so "Ü" would no longer match
     * a {@code q} of "ü" (the search term is lowered in Java for every letter).
     */
    private static final String SEARCHED = "lower(concat_ws(' ', subject, plugin_unique_identifier, plugin_id, tenant_id,"
            + " CASE WHEN strpos(compact_evidence, '\"id\":') > 0 OR strpos(compact_evidence, '\"key\":') > 0"
            + " THEN concat_ws(' ', compact_evidence::jsonb->>'id', compact_evidence::jsonb->>'key') END) COLLATE \"default\")";

    @Inject
    StateStore store;

    @Inject
    DataSource dataSource;

    @Inject
    RunHistory history;

    @Inject
    ObjectMapper mapper;

    @GET
    @Blocking
    public LedgerPage page(@QueryParam("kind") String kind, @QueryParam("severity") String severity,
            @QueryParam("tenant_id") String tenantId, @QueryParam("plugin_id") String pluginId, @QueryParam("q") String q,
            @QueryParam("offset") String offset, @QueryParam("limit") String limit, @QueryParam("page") String page,
            @QueryParam("size") String size) throws SQLException, IOException {
        // Validates kind and severity (400 naming the allowed values) before anything is read.
        Predicate<Finding> filter = FindingsResource.filter(kind, severity, tenantId, pluginId);
        Paging paging = Paging.of(offset, limit, page, size);
        String search = q == null || q.isBlank() ? null : q.trim().toLowerCase(Locale.ROOT);
        if (!store.persisted()) {
            return fromReport(filter, search, paging);
        }
        List<String> where = new ArrayList<>(List.of("closed_at IS NULL"));
        List<String> values = new ArrayList<>();
        condition(where, values, "kind = ?", kind == null || kind.isBlank() ? null : kind.trim().toLowerCase(Locale.ROOT));
        condition(where, values, "severity = ?",
                severity == null || severity.isBlank() ? null : severity.trim().toLowerCase(Locale.ROOT));
        condition(where, values, "tenant_id = ?", tenantId == null || tenantId.isBlank() ? null : tenantId.trim());
        condition(where, values, "plugin_id = ?", pluginId == null || pluginId.isBlank() ? null : pluginId.trim());
        condition(where, values, "strpos(" + SEARCHED + ", ?) > 0", search);
        String from = " FROM " + store.table("finding_ledger") + " WHERE " + String.join(" AND ", where);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                // Our own table, but a console should never hold a connection for long.
                s.execute("SET LOCAL statement_timeout = '15s'");
            }
            long total;
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*)" + from)) {
                bind(ps, values);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    total = rs.getLong(1);
                }
            }
            List<Entry> entries = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT kind, subject, plugin_unique_identifier, plugin_id, tenant_id,"
                    + " compact_evidence, first_seen, last_seen, consecutive_scans" + from
                    + " ORDER BY " + SEVERITY_ORDER + ", kind, first_seen, id LIMIT ? OFFSET ?")) {
                int p = bind(ps, values);
                ps.setInt(p++, paging.limit());
                ps.setInt(p, paging.offset());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Finding f = LedgerEvidence.decode(FindingKind.parse(rs.getString(1)), rs.getString(2), rs.getString(3),
                                rs.getString(4), rs.getString(5), rs.getString(6));
                        entries.add(entry(f, rs.getTimestamp(7).toInstant().toString(), rs.getTimestamp(8).toInstant().toString(),
                                rs.getInt(9)));
                    }
                }
            }
            c.commit();
            return new LedgerPage("ledger", false, total, paging.offset(), paging.limit(), entries);
        }
    }

    private LedgerPage fromReport(Predicate<Finding> filter, String search, Paging paging) {
        ScanReport report = history.latestSuccess().orElseThrow(() -> new ApiException(Response.Status.SERVICE_UNAVAILABLE,
                "no scan has succeeded yet (see /api/v1/report)"));
        List<Finding> matching = report.findings().stream().filter(filter).filter(f -> search == null || matches(f, search))
                .toList();
        List<Entry> entries = matching.stream().skip(paging.offset()).limit(paging.limit()).map(f -> {
            FindingHistory h = report.ledger().historyOf(f);
            return new Entry(f.kind().label(), f.severity().label(), f.table(), f.id(), f.key(), f.pluginUniqueIdentifier(),
                    f.pluginId(), f.tenantId(), f.bytes(), f.detail(), h == null ? null : h.firstSeen().toString(),
                    report.startedAt().toString(), h == null ? null : h.consecutiveScans());
        }).toList();
        return new LedgerPage("report", report.findingsTruncated(), matching.size(), paging.offset(), paging.limit(), entries);
    }

    private static boolean matches(Finding f, String search) {
        return String.join(" ", nonNull(f.id()), nonNull(f.key()), nonNull(f.pluginUniqueIdentifier()), nonNull(f.pluginId()),
                nonNull(f.tenantId())).toLowerCase(Locale.ROOT).contains(search);
    }

    private static String nonNull(String s) {
        return s == null ? "" : s;
    }

    private static Entry entry(Finding f, String firstSeen, String lastSeen, int scans) {
        return new Entry(f.kind().label(), f.severity().label(), f.table(), f.id(), f.key(), f.pluginUniqueIdentifier(), f.pluginId(),
                f.tenantId(), f.bytes(), f.detail(), firstSeen, lastSeen, scans);
    }

    private static void condition(List<String> where, List<String> values, String sql, String value) {
        if (value != null) {
            where.add(sql);
            values.add(value);
        }
    }

    private static int bind(PreparedStatement ps, List<String> values) throws SQLException {
        int p = 1;
        for (String v : values) {
            ps.setString(p++, v);
        }
        return p;
    }
}
