package dify.reconciler.remediate.record;

import java.time.Instant;

/** The quarantined objects as a {@link QuarantineStore}, so {@link dify.reconciler.remediate.QuarantinePurge QuarantinePurge} purges them beside the rows. */
public final class ObjectQuarantineStore implements QuarantineStore {

    private final ObjectQuarantine objects;

    public ObjectQuarantineStore(ObjectQuarantine objects) {
        this.objects = objects;
    }

    @Override
    public String store() {
        return "objects";
    }

    @Override
    public long purgeable(Instant olderThan) throws Exception {
        return objects.purgeable(olderThan);
    }

    @Override
    public long purge(Instant olderThan, String purgeRunId) throws Exception {
        return objects.purge(olderThan, purgeRunId);
    }
}
