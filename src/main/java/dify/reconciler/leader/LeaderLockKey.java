package dify.reconciler.leader;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The key of the PostgreSQL advisory lock whose holder leads: the first 8 bytes (big-endian, signed) of
 * SHA-256 of {@code "dify-plugin-reconciler:" + schema}, where {@code schema} is {@code reconciler.state.schema}.
 * Every replica that keeps its state in the same schema of the same database therefore competes for the same
 * lock, and a second reconciler with its own schema in the same database leads on its own. Advisory locks live
 * per database, so reconcilers of two daemon databases on one server never meet. The prefix keeps the key
 * away from advisory locks other software derives from a bare name.
 */
public final class LeaderLockKey {

    static final String PREFIX = "dify-plugin-reconciler:";

    private LeaderLockKey() {
    }

    /** The lock key for the state schema {@code schema} (exact, case-sensitive). */
    public static long of(String schema) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((PREFIX + schema).getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest, 0, Long.BYTES).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
