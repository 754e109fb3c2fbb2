package dify.reconciler.leader;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.config.ProcessMode;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/**
 * Who may act when this process takes no part in the election: a one-shot command only while it holds the actor
 * lock ({@link CommandLock}), never a service (e.g. through PgBouncer, where the election is off: it would act
 * beside the leader). Without a lock session the write fence fails every write transaction, before it asks the
 * database anything. (Holding the lock: {@code CommandLockTest}.)
 */
class LeaderPermissionTest {

    @Test
    void withoutAnElectionNobodyMayActOrWriteUntilACommandTakesTheActorLock() {
        assertFalse(permission("scan").mayAct(), "a one-shot command that took no lock");
        assertFalse(permission("service").mayAct());
        for (String mode : new String[] {"scan", "service"}) {
            SQLException fenced = assertThrows(SQLException.class, () -> permission(mode).check(null)); // no database call
            assertTrue(fenced.getMessage().startsWith("not written"), fenced.getMessage());
        }
    }

    private static LeaderPermission permission(String mode) {
        LeaderPermission p = new LeaderPermission();
        p.election = new LeaderElection(); // never started: not active
        p.commandLock = new CommandLock(); // never acquired
        p.role = ProcessMode.fromSetting(mode);
        return p;
    }
}
