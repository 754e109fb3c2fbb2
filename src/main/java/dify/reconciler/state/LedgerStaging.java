package dify.reconciler.state;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.inventory.storage.CopyChunk;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Locale;
import java.util.UUID;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;

/**
 * A run's findings staged in {@code scan_findings} while the scan runs: each finding is encoded into a chunk of about
 * {@value #CHUNK_BYTES} bytes, and each full chunk is sent with one COPY from a thread of its own while the scan fills
 * the next ({@link ChunkHandOff}: two chunks of memory however many findings there are). {@link PostgresLedgerUpdate}
 * merges what was staged, or abandons it.
 */
final class LedgerStaging {

    private static final Logger LOG = Logger.getLogger(LedgerStaging.class);

    /**
     * Findings are encoded into a chunk of about this many bytes and sent with one COPY: memory stays flat (this chunk
     * and the one in flight), and no connection or transaction is held while the scan lists storage between chunks.
     */
    static final int CHUNK_BYTES = 1 << 20;

    /**
     * The columns of a staged row, in the order {@link StagedRowEncoder} writes them (the run comes from the COPY's
     * transaction). The kind is its position in {@link FindingKind#values()} (from 1); each other value is either a code
     * of the run's {@link StagingDictionary} or, when it has none, its text (V14).
     */
    static final String STAGED_COLUMNS = "kind_code, subject, identifier_code, plugin_unique_identifier, plugin_code, plugin_id,"
            + " tenant_code, tenant_id, evidence_code, evidence";

    private final StateStore store;
    private final UUID runId;
    /** The chunk the scan fills and the one a thread of this run sends meanwhile. */
    private final ChunkHandOff chunks;
    private final StagedRowEncoder encoder = new StagedRowEncoder();
    private long staged;
    /**
     * Time spent in COPYs, the background's included; each send adds to it after the one before it ended (the
     * hand-off joins a send's thread before starting the next), so a plain field is enough.
     */
    private long copyNanos;
    private int copies;
    /** Time the scan's thread waited for COPYs: handing over while the previous chunk was in flight, and at the end. */
    private long waitNanos;

    LedgerStaging(StateStore store, UUID runId) {
        this.store = store;
        this.runId = runId;
        this.chunks = new ChunkHandOff(CHUNK_BYTES, this::copy, r -> {
            Thread t = new Thread(r, "ledger-copy-" + runId);
            t.setDaemon(true);
            return t;
        });
    }

    /** Encodes a finding into the chunk being filled; a full chunk is handed over (a failed earlier COPY throws here). */
    void stage(Finding finding) throws ChunkHandOff.SendFailure {
        CopyChunk chunk = chunks.filling();
        encoder.stage(finding, chunk);
        staged++;
        if (chunk.size() >= CHUNK_BYTES) {
            long waiting = System.nanoTime();
            try {
                // Waits only while the previous chunk is still being sent.
                chunks.handOver();
            } finally {
                waitNanos += System.nanoTime() - waiting;
            }
        }
    }

    /** Waits for the chunk in flight and sends the last one: every finding of the scan is staged, or this throws why not. */
    void finish() throws ChunkHandOff.SendFailure {
        long t0 = System.nanoTime();
        try {
            chunks.finish();
        } finally {
            waitNanos += System.nanoTime() - t0;
        }
    }

    /** How much of staging the COPYs took, and how much of that the scan waited for: the merge log line's first step. */
    String summary() {
        return String.format(Locale.ROOT, "staging COPY %d chunks %.3f s, scan waited %.3f s", copies, copyNanos / 1e9,
                waitNanos / 1e9);
    }

    /** The findings staged so far. */
    long staged() {
        return staged;
    }

    /** The strings the run's staged rows refer to by code, as the merge binds them. */
    StagingDictionary dictionary() {
        return encoder.dictionary();
    }

    /**
     * Sends a chunk with one COPY on a pooled connection (held for this COPY only), in a transaction of its own that
     * names the run its rows belong to (the staging table's run_id defaults to it; V13), so the run's id is not
     * repeated on every row. Runs on the hand-off's thread, or on the scan's for the last chunk.
     */
    private void copy(CopyChunk chunk) throws SQLException, IOException {
        long t0 = System.nanoTime();
        String sql = "COPY " + store.table("scan_findings") + " (" + STAGED_COLUMNS + ") FROM STDIN";
        try (Connection c = store.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("SELECT set_config('reconciler.staging_run', ?, true)")) {
                    ps.setString(1, runId.toString());
                    ps.executeQuery().close();
                }
                c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql, chunk.asInput());
                c.commit();
            } catch (SQLException | IOException | RuntimeException e) {
                // A connection the server closed cannot roll back: report the COPY's own error, not "connection closed".
                try {
                    c.rollback();
                    c.setAutoCommit(true);
                } catch (SQLException notRolledBack) {
                    e.addSuppressed(notRolledBack);
                }
                throw e;
            }
            c.setAutoCommit(true);
        } finally {
            copyNanos += System.nanoTime() - t0;
            copies++;
        }
    }

    /** Sends nothing more, waits for the COPY in flight (so none commits after this), and deletes the run's staged rows. */
    void abandon() {
        chunks.close();
        try (Connection c = store.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM " + store.table("scan_findings") + " WHERE run_id = ?")) {
            ps.setObject(1, runId);
            ps.executeUpdate();
        } catch (SQLException e) {
            LOG.warnf(e, "could not delete the findings of run %s from %s", runId, store.table("scan_findings"));
        }
    }
}
