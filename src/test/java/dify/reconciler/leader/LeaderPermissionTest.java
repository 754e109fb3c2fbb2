package dify.reconciler.leader;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.config.ReconcilerConfig;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

/**
 * Who may act when this process takes no part in the election: the one-shot commands (the operator acts), never
 * a service (e.g. through PgBouncer, where the election is off: it would act beside the leader). Without an
 * election the write fence lets the one-shot commands' transactions through (it is never asked to fail them).
 */
class LeaderPermissionTest {

    @Test
    void withoutAnElectionOnlyTheOneShotCommandsMayAct() throws Exception {
        assertTrue(permission("scan").mayAct());
        assertFalse(permission("service").mayAct());
        permission("scan").check(null); // no election: no fence, and no database call
    }

    private static LeaderPermission permission(String mode) {
        LeaderPermission p = new LeaderPermission();
        p.election = new LeaderElection(); // never started: not active
        p.config = (ReconcilerConfig) Proxy.newProxyInstance(ReconcilerConfig.class.getClassLoader(),
                new Class<?>[] {ReconcilerConfig.class}, (proxy, method, args) -> {
                    if (method.getName().equals("mode")) {
                        return mode;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        return p;
    }
}
