package dify.reconciler.remediate.guard;

import dify.reconciler.config.ProcessMode;
import dify.reconciler.metrics.MetricNames;
import dify.reconciler.remediate.plan.GuardTrip;
import dify.reconciler.state.PersistedSwitchGauge;
import dify.reconciler.state.StateStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * The remediation breaker. A cap trip records an event; while an event is unacknowledged every plan is stopped
 * (guard {@code breaker}) and {@code apply} refuses. Events live in our schema's {@code breaker_events}, so the
 * breaker stays tripped across restarts and for every replica, until {@link #ack(String, String)}. With state in
 * memory (a role that may not write our schema) the breaker lives in this process only, and says so.
 * {@code plugin_reconciler_breaker_tripped} is 1 while tripped: read from state at the service's start-up (in the
 * background, like the other restored metrics; a one-shot command starts no such thread, see {@link ProcessMode})
 * and after every status, trip and acknowledgement. Each trip is fired as a CDI {@link BreakerEvent} (the webhook
 * observes it).
 */
@ApplicationScoped
public class Breaker {

    private static final Logger LOG = Logger.getLogger(Breaker.class);

    @Inject
    StateStore state;

    @Inject
    DataSource dataSource;

    @Inject
    MeterRegistry registry;

    @Inject
    Clock clock;

    @Inject
    ProcessMode role;

    @Inject
    Event<BreakerEvent> trips;

    private final List<BreakerEvent> memory = new ArrayList<>();
    private long memoryIds;
    private final PersistedSwitchGauge gauge = new PersistedSwitchGauge();

    void registerGauge(@Observes StartupEvent started) {
        gauge.register(registry, MetricNames.BREAKER_TRIPPED,
                "1 = the remediation breaker is tripped (a cap was exceeded; nothing is applied until acknowledged)", role,
                "breaker-restore", this::status);
    }

    @PreDestroy
    void removeGauge() {
        gauge.remove();
    }

    /** Whether the breaker is tripped now, and why; throws when persisted state cannot be read (callers fail closed). */
    public BreakerStatus status() {
        BreakerStatus s;
        if (state.persisted()) {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement ps = c.prepareStatement(
                            "SELECT id, tripped_at, guard, detail, plan_id, run_id, instance, acked_at, acked_by, ack_reason FROM "
                                    + state.table("breaker_events") + " WHERE acked_at IS NULL ORDER BY tripped_at, id")) {
                List<BreakerEvent> open = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        open.add(read(rs));
                    }
                }
                open.addAll(openInMemory()); // trips whose write failed still stop this process
                s = BreakerStatus.of(open, "persisted");
            } catch (SQLException e) {
                throw new IllegalStateException("cannot read the breaker from " + state.table("breaker_events") + ": " + e.getMessage(), e);
            }
        } else {
            s = BreakerStatus.of(openInMemory(), "memory");
        }
        gauge.set(s.tripped());
        return s;
    }

    /** Trips the breaker; when the event cannot be written it is kept in memory, so this process stays stopped. */
    public BreakerStatus trip(GuardTrip trip, String planId, String runId) {
        Instant now = clock.instant();
        LOG.errorf("remediation breaker tripped by %s: %s (plan %s); nothing is applied until 'breaker ack --reason TEXT'",
                trip.guard().label(), trip.detail(), planId);
        if (state.persisted()) {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement ps = c.prepareStatement("INSERT INTO "
                            + state.table("breaker_events")
                            + " (tripped_at, guard, detail, plan_id, run_id, instance) VALUES (?, ?, ?, ?, ?, ?) RETURNING id")) {
                c.setAutoCommit(true);
                ps.setTimestamp(1, Timestamp.from(now));
                ps.setString(2, trip.guard().label());
                ps.setString(3, trip.detail());
                ps.setString(4, planId);
                ps.setString(5, runId);
                ps.setString(6, instance());
                long id;
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    id = rs.getLong(1);
                }
                announce(new BreakerEvent(id, now, trip.guard().label(), trip.detail(), planId, runId, instance(), null, null, null));
                return status();
            } catch (SQLException e) {
                LOG.errorf(e, "the breaker trip could not be written to %s; kept in this process's memory", state.table("breaker_events"));
            }
        }
        if (!state.persisted()) {
            LOG.warnf("state is in memory (%s): the breaker stays tripped in this process only, not across a restart",
                    state.reason());
        }
        BreakerEvent event;
        synchronized (memory) {
            event = new BreakerEvent(++memoryIds, now, trip.guard().label(), trip.detail(), planId, runId, instance(), null, null,
                    null);
            memory.add(event);
        }
        gauge.set(true);
        announce(event);
        return BreakerStatus.of(openInMemory(), "memory");
    }

    /**
     * Acknowledges every unacknowledged trip, with who and why (both required); returns the events it acknowledged.
     * Whoever acknowledges says the cause was understood: the next plan may act again.
     */
    public List<BreakerEvent> ack(String reason, String actor) {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("an acknowledgement needs a reason (what was checked, why acting is safe again)");
        }
        if (actor == null || actor.isBlank()) {
            throw new IllegalArgumentException("an acknowledgement needs an actor (who acknowledges)");
        }
        Instant now = clock.instant();
        List<BreakerEvent> acked = new ArrayList<>();
        if (state.persisted()) {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement ps = c.prepareStatement("UPDATE "
                            + state.table("breaker_events") + " SET acked_at = ?, acked_by = ?, ack_reason = ? WHERE acked_at IS NULL"
                            + " RETURNING id, tripped_at, guard, detail, plan_id, run_id, instance, acked_at, acked_by, ack_reason")) {
                c.setAutoCommit(true);
                ps.setTimestamp(1, Timestamp.from(now));
                ps.setString(2, actor);
                ps.setString(3, reason);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        acked.add(read(rs));
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException(
                        "cannot acknowledge the breaker in " + state.table("breaker_events") + ": " + e.getMessage(),
                        e);
            }
        }
        synchronized (memory) {
            for (int i = 0; i < memory.size(); i++) {
                BreakerEvent e = memory.get(i);
                if (!e.acknowledged()) {
                    BreakerEvent a = new BreakerEvent(e.id(), e.trippedAt(), e.guard(), e.detail(), e.planId(), e.runId(), e.instance(),
                            now,
                            actor, reason);
                    memory.set(i, a);
                    acked.add(a);
                }
            }
        }
        if (!acked.isEmpty()) {
            LOG.warnf("remediation breaker acknowledged by %s (%d trip(s)): %s", actor, acked.size(), reason);
        }
        status();
        return acked;
    }

    /** Tells observers (the webhook) of a trip; what they do with it must never undo or hide the trip itself. */
    private void announce(BreakerEvent event) {
        try {
            trips.fire(event);
        } catch (RuntimeException e) {
            LOG.warnf(e, "an observer of breaker trips failed; the trip stands");
        }
    }

    private List<BreakerEvent> openInMemory() {
        synchronized (memory) {
            return memory.stream().filter(e -> !e.acknowledged()).toList();
        }
    }

    private static BreakerEvent read(ResultSet rs) throws SQLException {
        Timestamp acked = rs.getTimestamp(8);
        return new BreakerEvent(rs.getLong(1), rs.getTimestamp(2).toInstant(), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), acked == null ? null : acked.toInstant(), rs.getString(9), rs.getString(10));
    }

    public static String instance() {
        return PersistedSwitchGauge.instance();
    }
}
