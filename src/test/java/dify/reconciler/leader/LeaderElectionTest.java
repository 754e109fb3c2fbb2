package dify.reconciler.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.config.DatabaseType;
import dify.reconciler.config.ProcessMode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The election's decisions that need no database: who takes part, and how often it tries. */
class LeaderElectionTest {

    @Test
    void triesAtTheRetryIntervalButNeverLessOftenThanOnceAScanInterval() {
        assertEquals(Duration.ofSeconds(10), LeaderElection.tickPeriod(Duration.ofSeconds(10), "10m"));
        assertEquals(Duration.ofSeconds(2), LeaderElection.tickPeriod(Duration.ofSeconds(10), "2s"));
        assertEquals(Duration.ofSeconds(10), LeaderElection.tickPeriod(Duration.ofSeconds(10), "off"));
    }

    @Test
    void theOneShotCommandAndPgBouncerNeverTakePart() {
        assertTrue(LeaderElection.reasonNotToTakePart(ProcessMode.SERVICE, DatabaseType.POSTGRESQL).isEmpty());
        assertTrue(LeaderElection.reasonNotToTakePart(ProcessMode.ONE_SHOT, DatabaseType.POSTGRESQL).orElseThrow().contains("one-shot"));
        assertTrue(
                LeaderElection.reasonNotToTakePart(ProcessMode.SERVICE, DatabaseType.PGBOUNCER).orElseThrow().contains("pgbouncer"));
    }
}
