package dify.reconciler.remediate;

import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.remediate.acting.AccessGate;
import dify.reconciler.remediate.acting.Acting;
import dify.reconciler.remediate.record.ObjectQuarantineStore;
import dify.reconciler.remediate.record.QuarantineStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Deletes quarantined items older than {@code reconciler.remediation.retention} that were not restored, in every
 * quarantine store, each purged item audited as {@code purged}. Those actions can no longer be undone, so the
 * only with the {@link AccessGate}'s {@link Acting} token (the {@code purge} command, the service's leader once a day).
 */
@ApplicationScoped
public class QuarantinePurge {

    /** One store's count: purged, or (dry run) that would be purged. */
    public record Result(String store, long items) {
    }

    @Inject
    RemediationService remediation;

    @Inject
    ReconcilerConfig config;

    @Inject
    Clock clock;

    /** Items quarantined before this are purged. */
    public Instant cutoff() {
        return cutoff(clock.instant());
    }

    /** Items quarantined more than the retention before {@code now}. */
    Instant cutoff(Instant now) {
        Duration retention = config.remediation().retention();
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("reconciler.remediation.retention must be a positive duration, not " + retention);
        }
        return now.minus(retention);
    }

    /** What a purge would delete now, per store. */
    public List<Result> purgeable() throws Exception {
        Instant cutoff = cutoff();
        List<Result> results = new ArrayList<>();
        for (QuarantineStore s : stores()) {
            results.add(new Result(s.store(), s.purgeable(cutoff)));
        }
        return results;
    }

    /** Purges every store, with the {@link AccessGate}'s token; one run id names this purge in the audit. */
    public List<Result> purge(Acting acting) throws Exception {
        return purge(clock.instant(), acting);
    }

    /** As {@link #purge(Acting)}, as of {@code now} (the service's daily purge passes the instant it decided at). */
    public List<Result> purge(Instant now, Acting acting) throws Exception {
        Instant cutoff = cutoff(now);
        String purgeRunId = UUID.randomUUID().toString();
        List<Result> results = new ArrayList<>();
        for (QuarantineStore s : stores()) {
            results.add(new Result(s.store(), s.purge(cutoff, purgeRunId)));
        }
        return results;
    }

    /** Every quarantine store: rows in our schema, objects under the quarantine prefix. */
    List<QuarantineStore> stores() {
        return List.of(remediation.rowQuarantine(), new ObjectQuarantineStore(remediation.objectQuarantine()));
    }
}
