package dify.reconciler.remediate.acting;

import dify.reconciler.actor.ActingPermission;
import dify.reconciler.actor.WriteFence;
import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The default {@link ActingPermission} (always) and {@link WriteFence} (none). The application's
 * {@code dify.reconciler.leader.LeaderPermission} replaces both (these step aside, being {@link DefaultBean}s):
 * the service's leader, or a one-shot command holding the same lock, acts.
 */
@ApplicationScoped
public class ActingPermissionProducer {

    @Produces
    @DefaultBean
    @Singleton
    ActingPermission oneShot() {
        return ActingPermission.ONE_SHOT;
    }

    /** No write fence unless leader election provides one ({@code dify.reconciler.leader.LeaderPermission}). */
    @Produces
    @DefaultBean
    @Singleton
    WriteFence noFence() {
        return WriteFence.NONE;
    }
}
