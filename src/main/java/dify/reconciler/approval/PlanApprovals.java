package dify.reconciler.approval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.planner.PlanDocument;
import dify.reconciler.state.StateStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * The plans published for approval ({@code reconciler.remediation.approval=required}): in our
 * {@code approval_plans} (every replica sees them: an approval sent to any replica reaches the leader), or, with
 * state in memory, in this process. Publishing replaces the pending plan; approving needs the plan pending and
 * unexpired; the leader claims an approved plan (status {@code applied}) before it applies it, so it is applied once.
 */
@ApplicationScoped
public class PlanApprovals {

    private static final Logger LOG = Logger.getLogger(PlanApprovals.class);

    /** Plans kept in memory (state in memory): the latest few, enough to answer "replaced by". */
    static final int KEPT_IN_MEMORY = 20;

    private static final String COLUMNS = "plan_id, created_at, expires_at, run_id, status, approved_by, approved_at, replaced_by,"
            + " applied_at, plan::text";

    /** What an approval did: approved (or already was), or refused with the current plan's id. */
    public sealed interface Approval permits Approved, Conflict, NotFound {
    }

    public record Approved(PublishedPlan plan) implements Approval {
    }

    /** The plan is replaced, expired or applied: {@code currentPlanId} is the one to look at (null when none). */
    public record Conflict(PublishedPlan plan, String currentPlanId, String why) implements Approval {
    }

    public record NotFound(String currentPlanId) implements Approval {
    }

    @Inject
    StateStore state;

    @Inject
    DataSource dataSource;

    @Inject
    ObjectMapper mapper;

    @Inject
    Clock clock;

    @Inject
    Event<PlanAwaitingApproval> published;

    /** Memory mode only; newest last. */
    private final Map<String, Stored> memory = new LinkedHashMap<>();

    /** A plan as stored: the status label is the stored one ('expired' is derived when read). */
    private record Stored(String planId, Instant createdAt, Instant expiresAt, String runId, String status, String approvedBy,
            Instant approvedAt, String replacedBy, Instant appliedAt, PlanDocument plan) {

        PublishedPlan read(Instant now, String storage) {
            return new PublishedPlan(planId, createdAt, expiresAt, runId, PublishedPlan.Status.stored(status, expiresAt, now),
                    approvedBy, approvedAt, replacedBy, appliedAt, plan, storage);
        }

        Stored with(String newStatus, String by, Instant byAt, String replaced, Instant applied) {
            return new Stored(planId, createdAt, expiresAt, runId, newStatus, by, byAt, replaced, applied, plan);
        }
    }

    /**
     * Publishes {@code plan} for approval until {@code ttl} from now (its expiry in the stored document too), replacing
     * the pending plan, and announces it (the webhook's {@code plan_awaits_approval}).
     */
    public PublishedPlan publish(RemediationPlan plan, Duration ttl, String instance) throws SQLException {
        Instant now = clock.instant();
        Instant expires = now.plus(ttl);
        PlanDocument d = PlanDocument.of(plan);
        PlanDocument doc = new PlanDocument(d.planId(), d.createdAt(), expires.toString(), d.database(), d.runId(), d.actions(),
                d.withheld(), d.withheldTotal(), d.guards());
        Stored stored = new Stored(plan.planId(), now, expires, plan.runId(), "pending", null, null, null, null, doc);
        if (state.persisted()) {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                try (PreparedStatement replace = c.prepareStatement("UPDATE " + table()
                        + " SET status = 'replaced', replaced_by = ? WHERE status = 'pending'");
                        PreparedStatement insert = c.prepareStatement("INSERT INTO " + table() + " (plan_id, created_at, expires_at,"
                                + " run_id, instance, plan, status) VALUES (?, ?, ?, ?, ?, CAST(? AS jsonb), 'pending')")) {
                    replace.setString(1, plan.planId());
                    replace.executeUpdate();
                    insert.setString(1, plan.planId());
                    insert.setTimestamp(2, Timestamp.from(now));
                    insert.setTimestamp(3, Timestamp.from(expires));
                    insert.setString(4, plan.runId());
                    insert.setString(5, instance);
                    insert.setString(6, json(doc));
                    insert.executeUpdate();
                    c.commit();
                } catch (SQLException | RuntimeException e) {
                    c.rollback();
                    throw e;
                }
            }
        } else {
            synchronized (memory) {
                memory.replaceAll((id, s) -> s.status().equals("pending") ? s.with("replaced", null, null, plan.planId(), null) : s);
                memory.put(plan.planId(), stored);
                while (memory.size() > KEPT_IN_MEMORY) {
                    memory.remove(memory.keySet().iterator().next());
                }
            }
        }
        PublishedPlan p = stored.read(now, storage());
        LOG.infof("remediation plan %s (%d action(s)) awaits approval until %s: POST /api/v1/plans/%s/approve", p.planId(),
                doc.actions().size(), expires, p.planId());
        try {
            published.fire(new PlanAwaitingApproval(p));
        } catch (RuntimeException e) {
            LOG.warnf(e, "an observer of published plans failed; the plan stands");
        }
        return p;
    }

    /** The most recently published plan, whatever became of it. */
    public Optional<PublishedPlan> current() throws SQLException {
        return one("ORDER BY created_at DESC, plan_id DESC LIMIT 1", null);
    }

    public Optional<PublishedPlan> find(String planId) throws SQLException {
        return one("WHERE plan_id = ?", planId);
    }

    /** The newest approved plan that has not expired nor been applied: what the leader applies at its next tick. */
    public Optional<PublishedPlan> approvedWaiting() throws SQLException {
        Instant now = clock.instant();
        if (state.persisted()) {
            return one("WHERE status = 'approved' AND expires_at > ? ORDER BY created_at DESC LIMIT 1", now);
        }
        synchronized (memory) {
            List<Stored> all = new ArrayList<>(memory.values());
            for (int i = all.size() - 1; i >= 0; i--) {
                PublishedPlan p = all.get(i).read(now, storage());
                if (p.status() == PublishedPlan.Status.APPROVED) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** Approves a pending, unexpired plan for {@code actor}; an approved one again is answered as approved. */
    public Approval approve(String planId, String actor) throws SQLException {
        Instant now = clock.instant();
        boolean changed;
        if (state.persisted()) {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement ps = c.prepareStatement("UPDATE " + table() + " SET status = 'approved', approved_by = ?,"
                            + " approved_at = ? WHERE plan_id = ? AND status = 'pending' AND expires_at > ?")) {
                c.setAutoCommit(true);
                ps.setString(1, actor);
                ps.setTimestamp(2, Timestamp.from(now));
                ps.setString(3, planId);
                ps.setTimestamp(4, Timestamp.from(now));
                changed = ps.executeUpdate() == 1;
            }
        } else {
            synchronized (memory) {
                Stored s = memory.get(planId);
                changed = s != null && s.read(now, storage()).status() == PublishedPlan.Status.PENDING;
                if (changed) {
                    memory.put(planId, s.with("approved", actor, now, null, null));
                }
            }
        }
        Optional<PublishedPlan> plan = find(planId);
        String current = current().map(PublishedPlan::planId).orElse(null);
        if (plan.isEmpty()) {
            return new NotFound(current);
        }
        PublishedPlan p = plan.get();
        if (changed) {
            LOG.warnf("remediation plan %s approved by %s; the leader applies it at its next tick", planId, actor);
            return new Approved(p);
        }
        return switch (p.status()) {
            case APPROVED -> new Approved(p);
            case REPLACED -> new Conflict(p, current, "plan " + planId + " was replaced by " + p.replacedBy() + " before it was approved");
            case EXPIRED -> new Conflict(p, current, "plan " + planId + " expired at " + p.expiresAt()
                    + " (reconciler.remediation.approval-ttl)");
            case APPLIED -> new Conflict(p, current, "plan " + planId + " was applied at " + p.appliedAt());
            case PENDING -> new Conflict(p, current, "plan " + planId + " changed while it was approved; try again");
        };
    }

    /** Marks an approved plan applied before it is applied (so it is applied once); false when it no longer may be. */
    public boolean claim(String planId) throws SQLException {
        Instant now = clock.instant();
        if (state.persisted()) {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement ps = c.prepareStatement("UPDATE " + table() + " SET status = 'applied', applied_at = ?"
                            + " WHERE plan_id = ? AND status = 'approved' AND expires_at > ?")) {
                c.setAutoCommit(true);
                ps.setTimestamp(1, Timestamp.from(now));
                ps.setString(2, planId);
                ps.setTimestamp(3, Timestamp.from(now));
                return ps.executeUpdate() == 1;
            }
        }
        synchronized (memory) {
            Stored s = memory.get(planId);
            if (s == null || s.read(now, storage()).status() != PublishedPlan.Status.APPROVED) {
                return false;
            }
            memory.put(planId, s.with("applied", s.approvedBy(), s.approvedAt(), null, now));
            return true;
        }
    }

    private Optional<PublishedPlan> one(String where, Object parameter) throws SQLException {
        Instant now = clock.instant();
        if (!state.persisted()) {
            synchronized (memory) {
                if (parameter instanceof String id) {
                    return Optional.ofNullable(memory.get(id)).map(s -> s.read(now, storage()));
                }
                return memory.values().stream().reduce((a, b) -> b).map(s -> s.read(now, storage()));
            }
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM " + table() + " " + where)) {
            if (parameter instanceof String s) {
                ps.setString(1, s);
            } else if (parameter instanceof Instant i) {
                ps.setTimestamp(1, Timestamp.from(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Stored(rs.getString(1), rs.getTimestamp(2).toInstant(), rs.getTimestamp(3).toInstant(),
                        rs.getString(4), rs.getString(5), rs.getString(6), instant(rs.getTimestamp(7)), rs.getString(8),
                        instant(rs.getTimestamp(9)), mapper.readValue(rs.getString(10), PlanDocument.class)).read(now, storage()));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a published plan in " + table() + " is not readable: " + e.getOriginalMessage(), e);
            }
        }
    }

    private String json(PlanDocument doc) {
        try {
            return mapper.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a plan document is plain values: " + e.getMessage(), e);
        }
    }

    private String storage() {
        return state.persisted() ? "persisted" : "memory";
    }

    private String table() {
        return state.table("approval_plans");
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
