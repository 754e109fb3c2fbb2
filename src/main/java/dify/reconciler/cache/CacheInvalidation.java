package dify.reconciler.cache;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.config.RedisSettings;
import dify.reconciler.remediate.record.AppliedRowsListener;
import dify.reconciler.remediate.record.ChangedRow;
import dify.reconciler.state.StateStore;
import io.agroal.api.AgroalDataSource;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * After an action's commit, deletes the daemon's Redis keys that now hold the old row ({@link StaleCacheKeys}),
 * and once more {@code reconciler.cache.second-delete-after} later: a daemon reader that loaded the old row just
 * before our commit can store it again after our first delete. The second pass runs on its own thread, so the
 * next action does not wait. A cache failure never undoes a repair and never fails a run: each key and pass is
 * counted ({@code plugin_reconciler_cache_invalidations_total{outcome}}), and the action's audit row
 * ({@code remediation_actions.cache}) and the command's output say whether the daemon may serve the old value.
 */
@ApplicationScoped
public class CacheInvalidation implements AppliedRowsListener {

    private static final Logger LOG = Logger.getLogger(CacheInvalidation.class);
    /** Notes kept for the command's output; a service that applies for months must not keep them all. */
    private static final int MAX_NOTES = 10_000;

    @Inject
    ReconcilerConfig config;

    @Inject
    Config settings;

    @Inject
    StateStore state;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    ObjectMapper mapper;

    private StaleCacheKeys staleKeys;
    /** Null when nothing is attempted; then {@link #unavailable} says why. */
    private RedisKeyDeleter deleter;
    private String unavailable;
    /** Invalid settings count as failures, a missing configuration as not_configured. */
    private boolean misconfigured;
    private ScheduledExecutorService secondPasses;
    private final Queue<Future<?>> pending = new ConcurrentLinkedQueue<>();
    private final Map<String, String> notes = Collections.synchronizedMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > MAX_NOTES;
        }
    });

    @Inject
    CacheInvalidationCounters counters;

    @PostConstruct
    void init() {
        String prefix = RedisSettings.DEFAULT_KEY_PREFIX;
        try {
            Optional<RedisSettings> redis = RedisSettings.from(name -> settings.getOptionalValue(name, String.class));
            if (redis.isEmpty()) {
                unavailable = "no Redis settings: REDIS_HOST is not set";
                LOG.info("The plugin daemon's Redis is not configured (REDIS_HOST unset): repairs will not clear its cache");
            } else {
                prefix = redis.get().keyPrefix();
                deleter = new RedisKeyDeleter(redis.get(), config.cache().timeout());
                LOG.infof("Repairs clear the plugin daemon's cached rows in %s", redis.get().description());
            }
        } catch (IllegalArgumentException e) {
            unavailable = "invalid Redis settings: " + e.getMessage();
            misconfigured = true;
            LOG.errorf("The plugin daemon's Redis settings are invalid, repairs will not clear its cache: %s", e.getMessage());
        }
        staleKeys = new StaleCacheKeys(prefix, mapper);
        secondPasses = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cache-second-delete");
            t.setDaemon(true);
            return t;
        });
    }

    @PreDestroy
    void close() {
        awaitSecondDeletes();
        secondPasses.shutdownNow();
        if (deleter != null) {
            deleter.close();
        }
    }

    @Override
    public void committed(String actionId, List<ChangedRow> rows) {
        try {
            StaleCacheKeys.Stale stale = staleKeys.of(rows);
            List<String> keys = stale.keys();
            if (keys.isEmpty()) {
                note(actionId, CacheNote.nothingCached());
                return;
            }
            if (deleter == null) {
                count(misconfigured ? CacheOutcome.FAILED : CacheOutcome.NOT_CONFIGURED, keys.size());
                note(actionId, CacheNote.notConfigured(keys.size(), stale.declarations(), unavailable));
                return;
            }
            CacheNote.Pass first = deletePass(actionId, keys);
            note(actionId, CacheNote.firstPass(keys.size(), first, stale.declarations()));
            Duration after = config.cache().secondDeleteAfter();
            pending.add(secondPasses.schedule(() -> {
                CacheNote.Pass second = deletePass(actionId, keys);
                note(actionId, CacheNote.bothPasses(keys.size(), first, second, after, stale.declarations()));
            }, after.toMillis(), TimeUnit.MILLISECONDS));
        } catch (RuntimeException e) {
            LOG.errorf(e, "remediation %s: clearing the daemon's cache failed", actionId);
            note(actionId, "clearing the cache failed (" + e.getMessage() + "); " + CacheNote.STALE_FOR);
        }
    }

    /**
     * Waits until every second pass scheduled so far has run (the one-shot commands call this before they report
     * and exit); at most the configured delay plus the Redis timeout per pass.
     */
    public void awaitSecondDeletes() {
        long deadline = System.nanoTime()
                + config.cache().secondDeleteAfter().plus(config.cache().timeout().multipliedBy(2)).plusSeconds(1).toNanos();
        for (Future<?> f = pending.poll(); f != null; f = pending.poll()) {
            try {
                f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | TimeoutException e) {
                LOG.warnf(e, "a second cache delete did not finish");
            }
        }
    }

    /** The line about an action's cache clearing, once it committed (empty when this process did not apply it). */
    public Optional<String> note(String actionId) {
        return Optional.ofNullable(notes.get(actionId));
    }

    private CacheNote.Pass deletePass(String actionId, List<String> keys) {
        try {
            int deleted = (int) deleter.delete(keys);
            count(CacheOutcome.DELETED, deleted);
            count(CacheOutcome.ABSENT, keys.size() - deleted);
            return new CacheNote.Pass(deleted, keys.size() - deleted, null);
        } catch (RuntimeException e) {
            count(CacheOutcome.FAILED, keys.size());
            String why = firstLine(e);
            LOG.warnf("remediation %s: could not delete %d stale key(s) in the daemon's Redis: %s", actionId, keys.size(), why);
            return CacheNote.Pass.failed(why);
        }
    }

    private void note(String actionId, String note) {
        notes.put(actionId, note);
        if (!state.persisted()) {
            return;
        }
        String audit = state.table("remediation_actions");
        // The action's latest applied or restored audit row: written in the action's transaction, which has committed.
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE " + audit + " SET cache = ? WHERE seq = (SELECT max(seq) FROM "
                        + audit + " WHERE action_id = ? AND outcome IN ('applied', 'restored'))")) {
            c.setAutoCommit(true);
            ps.setString(1, note);
            ps.setString(2, actionId);
            ps.executeUpdate();
        } catch (SQLException e) {
            LOG.errorf(e, "remediation %s: could not record the cache outcome in the audit", actionId);
        }
    }

    private void count(CacheOutcome outcome, int keys) {
        if (keys > 0) {
            counters.counter(outcome).increment(keys);
        }
    }

    private static String firstLine(Throwable e) {
        Throwable t = e;
        String m = t.getMessage();
        while ((m == null || m.isBlank()) && t.getCause() != null) {
            t = t.getCause();
            m = t.getMessage();
        }
        m = m == null ? e.getClass().getSimpleName() : m;
        return m.lines().findFirst().orElse(m);
    }
}
