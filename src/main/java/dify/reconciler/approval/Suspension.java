package dify.reconciler.approval;

import dify.reconciler.config.ProcessMode;
import dify.reconciler.metrics.MetricNames;
import dify.reconciler.state.PersistedSwitchGauge;
import dify.reconciler.state.StateStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Suspension of remediation at run time. While suspended, the {@code remediate.AccessGate} refuses apply and the
 * daily purge (reason {@code suspended}): an armed service still scans and plans, and shows the plan, but changes
 * nothing. Restores and recovery stay allowed: they are the way back, and a suspension is when one may be needed.
 * Kept like the breaker: appended to our {@code remediation_suspension} (the latest row counts), so it holds for
 * every replica and across restarts; with state in memory, in this process only, and said so.
 * {@code plugin_reconciler_remediation_suspended} is 1 while suspended, as last read (at start, every tick, every
 * request).
 */
@ApplicationScoped
public class Suspension {

    private static final Logger LOG = Logger.getLogger(Suspension.class);

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

    private volatile SuspensionStatus memory = SuspensionStatus.never("memory");
    private volatile SuspensionStatus lastRead;
    private final PersistedSwitchGauge gauge = new PersistedSwitchGauge();

    void registerGauge(@Observes StartupEvent started) {
        gauge.register(registry, MetricNames.REMEDIATION_SUSPENDED,
                "1 = remediation is suspended (POST /api/v1/remediation/suspend): plans are shown, nothing is applied", role,
                "suspension-restore", this::status);
    }

    @PreDestroy
    void removeGauge() {
        gauge.remove();
    }

    /** Whether remediation is suspended now; throws when persisted state cannot be read (the gate fails closed). */
    public SuspensionStatus status() {
        SuspensionStatus s;
        if (state.persisted()) {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement ps = c.prepareStatement("SELECT suspended, reason, actor, at FROM "
                            + state.table("remediation_suspension") + " ORDER BY id DESC LIMIT 1");
                    ResultSet rs = ps.executeQuery()) {
                s = rs.next()
                        ? new SuspensionStatus(rs.getBoolean(1), rs.getString(2), rs.getString(3), rs.getTimestamp(4).toInstant(),
                                "persisted")
                        : SuspensionStatus.never("persisted");
            } catch (SQLException e) {
                throw new IllegalStateException("cannot read the suspension from " + state.table("remediation_suspension") + ": "
                        + e.getMessage(), e);
            }
        } else {
            s = memory;
        }
        gauge.set(s.suspended());
        lastRead = s;
        return s;
    }

    /** The status as last read (readiness data: no query of its own); null before the first read. */
    public SuspensionStatus lastRead() {
        return lastRead;
    }

    /** Suspends remediation (again, with the new reason, when it already is). */
    public SuspensionStatus suspend(String reason, String actor) {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("a suspension needs a reason");
        }
        return write(true, reason.trim(), actor);
    }

    /** Resumes remediation; a no-op (recorded all the same) when it was not suspended. */
    public SuspensionStatus resume(String actor) {
        return write(false, null, actor);
    }

    private SuspensionStatus write(boolean suspended, String reason, String actor) {
        if (state.persisted()) {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement ps = c.prepareStatement("INSERT INTO " + state.table("remediation_suspension")
                            + " (at, suspended, reason, actor, instance) VALUES (?, ?, ?, ?, ?)")) {
                c.setAutoCommit(true);
                ps.setTimestamp(1, Timestamp.from(clock.instant()));
                ps.setBoolean(2, suspended);
                ps.setString(3, reason);
                ps.setString(4, actor);
                ps.setString(5, instance());
                ps.executeUpdate();
            } catch (SQLException e) {
                throw new IllegalStateException("cannot write the suspension to " + state.table("remediation_suspension") + ": "
                        + e.getMessage(), e);
            }
        } else {
            LOG.warnf("state is in memory (%s): the suspension holds in this process only, not across a restart", state.reason());
            memory = new SuspensionStatus(suspended, reason, actor, clock.instant(), "memory");
        }
        if (suspended) {
            LOG.warnf("remediation suspended by %s: %s", actor, reason);
        } else {
            LOG.warnf("remediation resumed by %s", actor);
        }
        return status();
    }

    static String instance() {
        return PersistedSwitchGauge.instance();
    }
}
