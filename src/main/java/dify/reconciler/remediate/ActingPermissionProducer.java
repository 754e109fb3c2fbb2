package dify.reconciler.remediate;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The default {@link ActingPermission}: the one-shot commands may act. Leader election replaces it by
 * declaring its own {@code ActingPermission} bean (this one then steps aside, being a {@link DefaultBean}).
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
