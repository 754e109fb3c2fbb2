package dify.reconciler.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.config.DatabaseType;
import dify.reconciler.config.ProcessMode;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Where a one-shot command may take the actor lock, and what its refusal says. (Taking it against a real database,
 * and the commands refusing: {@code OneActorCommandTest}, {@code OneActorIT}.)
 */
class CommandLockTest {

    @Test
    void aCommandTakesTheLockOnlyOnADirectConnectionAndAServiceOutsideTheElectionNever() {
        assertEquals(Optional.empty(), CommandLock.whyNoLockHere(ProcessMode.ONE_SHOT, DatabaseType.POSTGRESQL));
        assertTrue(CommandLock.whyNoLockHere(ProcessMode.ONE_SHOT, DatabaseType.PGBOUNCER).orElseThrow().startsWith("DB_TYPE=pgbouncer"));
        assertTrue(CommandLock.whyNoLockHere(ProcessMode.SERVICE, DatabaseType.POSTGRESQL).orElseThrow().contains("never acts"));
    }

    @Test
    void theRefusalNamesTheHolderOrTheDatabaseError() {
        String held = CommandLock.refusal(new LeaderStatus(false, 42, "pid 4242 (dify-plugin-reconciler leader pod-1)", "following"));
        assertTrue(held.startsWith("another reconciler is acting: advisory lock 42 is held by pid 4242 (dify-plugin-reconciler"
                + " leader pod-1)"), held);
        assertTrue(held.contains("scale it to 0 replicas"), held);
        String gone = CommandLock.refusal(new LeaderStatus(false, 42, null, "following"));
        assertTrue(gone.contains("a session that just ended (try again)"), gone);
        String down = CommandLock.refusal(new LeaderStatus(false, 42, null, "cannot reach the database: Connection refused"));
        assertEquals("cannot take the actor lock (advisory lock 42): cannot reach the database: Connection refused", down);
    }
}
