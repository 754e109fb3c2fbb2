package dify.reconciler.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class LeaderLockKeyTest {

    @Test
    void isTheFirstEightBytesOfTheSha256OfThePrefixedSchemaName() {
        // sha256("dify-plugin-reconciler:plugin_reconciler") starts a3a6d57f17ebeb94 (python3 hashlib): every
        // release must derive the same key, or two versions in one rollout would both lead.
        assertEquals(0xa3a6d57f17ebeb94L, LeaderLockKey.of("plugin_reconciler"));
        assertEquals(-6654396657554429036L, LeaderLockKey.of("plugin_reconciler"));
    }

    @Test
    void differsPerSchemaAndIsCaseSensitiveLikePostgresQuotedNames() {
        assertNotEquals(LeaderLockKey.of("plugin_reconciler"), LeaderLockKey.of("plugin_reconciler_staging"));
        assertNotEquals(LeaderLockKey.of("plugin_reconciler"), LeaderLockKey.of("Plugin_Reconciler"));
    }
}
