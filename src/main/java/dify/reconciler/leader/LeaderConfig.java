package dify.reconciler.leader;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The leader election ({@code reconciler.leader.*}, {@code RECONCILER_LEADER_…}). */
@ConfigMapping(prefix = "reconciler.leader")
public interface LeaderConfig {

    /**
     * How often a replica that does not lead tries to take the lock, and a leader checks that its lock connection
     * still answers. The service uses the shorter of this and {@code reconciler.interval}, so a dead leader is
     * replaced within one scan interval.
     */
    @WithDefault("10s")
    Duration retryInterval();

    /**
     * The longest any statement on the lock connection may run, and its lock timeout; also its connect timeout and
     * the TCP keep-alive period with which the server notices a vanished leader. Short: this session must never
     * be something the daemon waits behind.
     */
    @WithDefault("5s")
    Duration statementTimeout();
}
