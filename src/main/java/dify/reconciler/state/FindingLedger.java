package dify.reconciler.state;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.config.ReconcilerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The finding ledger: one entry per finding identity ({@link FindingIdentity}) with first seen, last seen and
 * the number of successful scans in a row that saw it. Persisted in our schema when {@link StateStore} says
 * so (updated with set operations, never loaded whole); otherwise kept in memory for the findings the reports
 * list ({@link FindingAges}).
 */
@ApplicationScoped
public class FindingLedger {

    @Inject
    StateStore store;

    @Inject
    ReconcilerConfig config;

    private final FindingAges memory = new FindingAges();

    /** Starts the ledger update of one scan. */
    public LedgerUpdate begin(String runId) {
        if (store.persisted()) {
            return new PostgresLedgerUpdate(store, UUID.fromString(runId), config.state().retention());
        }
        return new MemoryUpdate();
    }

    /** The oldest first-seen time per kind of the open entries, for metrics after a restart; empty in memory mode. */
    public Map<FindingKind, Instant> oldestOpen() {
        if (!store.persisted()) {
            return new EnumMap<>(FindingKind.class);
        }
        return PostgresLedgerUpdate.oldestOpen(store);
    }

    /** Memory mode: the report's (capped) findings are what is remembered. */
    private final class MemoryUpdate implements LedgerUpdate {

        private final Set<FindingKind> notRun = EnumSet.noneOf(FindingKind.class);

        @Override
        public void keepOpen(Set<FindingKind> kinds) {
            notRun.addAll(kinds);
        }

        @Override
        public void accept(Finding finding) {
            // Only the report's list is remembered in memory (bounded by the report cap); see complete().
        }

        @Override
        public LedgerView complete(Instant seenAt, List<Finding> reported, Map<FindingKind, Long> counts) {
            synchronized (memory) {
                memory.update(seenAt, reported, counts, notRun);
                Map<String, FindingHistory> history = new HashMap<>();
                for (Finding f : reported) {
                    FindingHistory h = memory.history(f);
                    if (h != null) {
                        history.put(FindingIdentity.of(f), h);
                    }
                }
                return new LedgerView(memory.oldest(), history);
            }
        }

        @Override
        public void abandon() {
            // nothing was recorded
        }

        @Override
        public String problem() {
            return null;
        }
    }
}
