package dify.reconciler.notify;

import dify.reconciler.state.StateStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * The last state each channel delivered. With persisted state it is our schema's {@code notify_state}, read before
 * every decision (so a restart, or another replica, does not send the same set again); in memory it lasts as long as
 * the process, so the first successful scan after a start is always sent. Only the webhook's thread calls it.
 */
final class DeliveredStates {

    private static final Logger LOG = Logger.getLogger(DeliveredStates.class);

    private final StateStore state;
    private final DataSource dataSource;
    private final Map<String, String> memory = new ConcurrentHashMap<>();

    DeliveredStates(StateStore state, DataSource dataSource) {
        this.state = state;
        this.dataSource = dataSource;
    }

    Optional<String> last(String channel) {
        if (persisted()) {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement ps = c.prepareStatement("SELECT state FROM " + state.table("notify_state") + " WHERE channel = ?")) {
                timeouts(c);
                ps.setString(1, channel);
                String stored = null;
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        stored = rs.getString(1);
                    }
                }
                c.commit();
                return Optional.ofNullable(stored != null ? stored : memory.get(channel));
            } catch (SQLException e) {
                LOG.warnf("could not read %s (%s): deciding on what this process delivered", state.table("notify_state"),
                        e.getMessage());
            }
        }
        return Optional.ofNullable(memory.get(channel));
    }

    void delivered(String channel, String value, Instant at) {
        memory.put(channel, value);
        if (!persisted()) {
            return;
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO " + state.table("notify_state")
                        + " (channel, state, delivered_at) VALUES (?, ?, ?) ON CONFLICT (channel) DO UPDATE"
                        + " SET state = EXCLUDED.state, delivered_at = EXCLUDED.delivered_at")) {
            timeouts(c);
            ps.setString(1, channel);
            ps.setString(2, value);
            ps.setTimestamp(3, Timestamp.from(at));
            ps.executeUpdate();
            c.commit();
        } catch (SQLException e) {
            LOG.warnf("could not write %s (%s): after a restart this %s state may be sent again", state.table("notify_state"),
                    e.getMessage(), channel);
        }
    }

    private boolean persisted() {
        try {
            return state.persisted();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Our own small table, but the daemon's server: never wait long on it. Starts the transaction the caller commits. */
    private static void timeouts(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL lock_timeout = '2s'");
            s.execute("SET LOCAL statement_timeout = '5s'");
        }
    }
}
