package dify.reconciler.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.config.ReconcilerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Completed runs and what each listed, so that {@code /api/v1/runs}, the "last run / last success" metrics
 * and the listing guards survive a restart. In our schema when {@link StateStore} persists state, else the
 * last {@code reconciler.run-history-size} runs in memory. A run that cannot be written is logged, never
 * allowed to fail the scan it describes.
 */
@ApplicationScoped
public class RunStore {

    private static final Logger LOG = Logger.getLogger(RunStore.class);
    private static final TypeReference<Map<String, Map<String, Long>>> NESTED_COUNTS = new TypeReference<>() {
    };

    @Inject
    StateStore store;

    @Inject
    ReconcilerConfig config;

    @Inject
    ObjectMapper mapper;

    private final Deque<RunRecord> memory = new ArrayDeque<>();

    public void record(RunRecord run) {
        synchronized (memory) {
            memory.addFirst(run);
            while (memory.size() > Math.max(1, config.runHistorySize())) {
                memory.removeLast();
            }
        }
        if (!store.persisted()) {
            return;
        }
        try (Connection c = store.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try {
                insertRun(c, run);
                if (run.succeeded()) {
                    insertListings(c, run);
                }
                Timestamp cutoff = Timestamp.from(run.finishedAt().minus(config.state().retention()));
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + store.table("runs") + " WHERE finished_at < ?")) {
                    ps.setTimestamp(1, cutoff);
                    ps.executeUpdate();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            LOG.errorf(e, "run %s could not be written to %s; it is kept in memory only", run.runId(), store.table("runs"));
        }
    }

    private void insertRun(Connection c, RunRecord run) throws SQLException {
        Map<String, Object> summary = null;
        if (run.succeeded()) {
            summary = new LinkedHashMap<>();
            summary.put("total", run.total());
            summary.put("bySeverity", run.bySeverity());
            summary.put("byKind", run.byKind());
        }
        Map<String, Object> scanned = Map.of("rows", run.rowsScanned(), "objects", run.objectsListed());
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + store.table("runs") + " (run_id, started_at,"
                + " finished_at, result, failed_phase, error, summary, scanned) VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb)")) {
            ps.setObject(1, UUID.fromString(run.runId()));
            ps.setTimestamp(2, Timestamp.from(run.startedAt()));
            ps.setTimestamp(3, Timestamp.from(run.finishedAt()));
            ps.setString(4, run.result());
            ps.setString(5, run.failedPhase());
            ps.setString(6, run.error());
            ps.setString(7, summary == null ? null : json(summary));
            ps.setString(8, json(scanned));
            ps.executeUpdate();
        }
    }

    private void insertListings(Connection c, RunRecord run) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + store.table("listing_history")
                + " (run_id, listed_at, prefix, objects) VALUES (?, ?, ?, ?)")) {
            for (Map.Entry<String, Long> listed : run.objectsListed().entrySet()) {
                ps.setObject(1, UUID.fromString(run.runId()));
                ps.setTimestamp(2, Timestamp.from(run.startedAt()));
                ps.setString(3, listed.getKey());
                ps.setLong(4, listed.getValue());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** The most recent runs, newest first. */
    public List<RunRecord> recent(int limit) {
        if (store.persisted()) {
            try {
                return query("ORDER BY finished_at DESC LIMIT ?", limit);
            } catch (SQLException e) {
                LOG.warnf(e, "reading runs from %s failed; answering from memory", store.table("runs"));
            }
        }
        synchronized (memory) {
            return memory.stream().limit(limit).toList();
        }
    }

    /** The latest run, successful or not. */
    public Optional<RunRecord> latest() {
        return recent(1).stream().findFirst();
    }

    /** The latest successful run. */
    public Optional<RunRecord> latestSuccess() {
        if (store.persisted()) {
            try {
                return query("WHERE result = 'success' ORDER BY finished_at DESC LIMIT ?", 1).stream().findFirst();
            } catch (SQLException e) {
                LOG.warnf(e, "reading runs from %s failed; answering from memory", store.table("runs"));
            }
        }
        synchronized (memory) {
            return memory.stream().filter(RunRecord::succeeded).findFirst();
        }
    }

    /**
     * The most objects a successful scan listed under {@code prefix} (a prefix label) within {@code window}
     * before {@code now}; empty when there is no such history. For guards that refuse to act on a listing that
     * shrank.
     */
    public OptionalLong maxObjectsListed(String prefix, Instant now, Duration window) {
        if (store.persisted()) {
            try (Connection c = store.dataSource().getConnection();
                    PreparedStatement ps = c.prepareStatement(
                            "SELECT max(objects) FROM " + store.table("listing_history") + " WHERE prefix = ? AND listed_at >= ?")) {
                ps.setString(1, prefix);
                ps.setTimestamp(2, Timestamp.from(now.minus(window)));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    long max = rs.getLong(1);
                    return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(max);
                }
            } catch (SQLException e) {
                LOG.warnf(e, "reading listing history from %s failed", store.table("listing_history"));
                return OptionalLong.empty();
            }
        }
        synchronized (memory) {
            return memory.stream().filter(RunRecord::succeeded).filter(r -> !r.startedAt().isBefore(now.minus(window)))
                    .map(r -> r.objectsListed().get(prefix)).filter(n -> n != null).mapToLong(Long::longValue).max();
        }
    }

    private List<RunRecord> query(String tail, int limit) throws SQLException {
        List<RunRecord> runs = new ArrayList<>();
        try (Connection c = store.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT run_id, started_at, finished_at, result, failed_phase, error, summary::text, scanned::text FROM "
                                + store.table("runs") + " " + tail)) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    runs.add(read(rs));
                }
            }
        }
        return runs;
    }

    private RunRecord read(ResultSet rs) throws SQLException {
        Long total = null;
        Map<String, Long> bySeverity = Map.of();
        Map<String, Long> byKind = Map.of();
        String summaryJson = rs.getString(7);
        try {
            if (summaryJson != null) {
                Map<String, Object> summary = mapper.readValue(summaryJson, new TypeReference<Map<String, Object>>() {
                });
                total = ((Number) summary.get("total")).longValue();
                bySeverity = counts(summary.get("bySeverity"));
                byKind = counts(summary.get("byKind"));
            }
            Map<String, Map<String, Long>> scanned = mapper.readValue(rs.getString(8), NESTED_COUNTS);
            return new RunRecord(rs.getObject(1, UUID.class).toString(), rs.getTimestamp(2).toInstant(),
                    rs.getTimestamp(3).toInstant(), rs.getString(4), rs.getString(5), rs.getString(6), total, bySeverity,
                    byKind, scanned.getOrDefault("rows", Map.of()), scanned.getOrDefault("objects", Map.of()));
        } catch (JsonProcessingException e) {
            throw new SQLException("run " + rs.getString(1) + " in " + store.table("runs") + " has unreadable JSON", e);
        }
    }

    private static Map<String, Long> counts(Object value) {
        Map<String, Long> counts = new LinkedHashMap<>();
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> counts.put(String.valueOf(k), ((Number) v).longValue()));
        }
        return counts;
    }

    private String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
