package dify.reconciler.state;

import dify.reconciler.inventory.storage.CopyChunk;
import java.util.concurrent.ThreadFactory;

/**
 * Two COPY chunks: the caller fills one while the other, full, is sent on a thread of its own. At most one chunk is in
 * flight: handing over a full chunk first waits until the previous one was sent (back-pressure: the caller never gets
 * more than one chunk ahead, so memory is two chunks however many rows there are). A thread lives only while its
 * chunk is sent; {@link #finish} and {@link #close} wait for it, so none is left behind.
 * <p>
 * A send that failed with a checked exception fails the next {@link #handOver} or {@link #finish} with a
 * {@link SendFailure} naming it, and every call after it the same way (nothing more is sent); one that failed with an
 * unchecked exception or an error rethrows it there, as if it had been thrown on the caller's thread. Not
 * thread-safe: one caller fills and hands over.
 */
final class ChunkHandOff implements AutoCloseable {

    /** Sends a full chunk (reads it, does not change it); called on the hand-off's thread, one chunk at a time. */
    @FunctionalInterface
    interface Sender {
        void send(CopyChunk chunk) throws Exception;
    }

    /** A chunk could not be sent: the cause is what the {@link Sender} threw. */
    static final class SendFailure extends Exception {
        private static final long serialVersionUID = 1L;

        SendFailure(Throwable cause) {
            super(cause.getMessage(), cause);
        }
    }

    private final Sender sender;
    private final ThreadFactory threads;
    private CopyChunk filling;
    /** The chunk being sent, or sent and not yet taken back (null: none). */
    private CopyChunk sending;
    private Thread inFlight;
    /** What the thread's send threw; read only after joining it. */
    private Throwable thrown;
    /** The first failure seen, thrown again by every later call. */
    private Throwable failed;
    private boolean closed;

    /**
     * @param chunkBytes each chunk's threshold (see {@link CopyChunk}); two are allocated
     * @param threads    makes the thread of one send (one a chunk, ended when it is sent)
     */
    ChunkHandOff(int chunkBytes, Sender sender, ThreadFactory threads) {
        this.sender = sender;
        this.threads = threads;
        this.filling = new CopyChunk(chunkBytes);
        this.sending = new CopyChunk(chunkBytes);
    }

    /** The chunk to append rows to (another one after each {@link #handOver}). */
    CopyChunk filling() {
        return filling;
    }

    /**
     * Starts sending the filled chunk in the background and gives the caller the other one to fill. Waits first until
     * the chunk sent before is (back-pressure) and throws its failure, if any. An empty chunk is not sent.
     */
    void handOver() throws SendFailure {
        awaitInFlight();
        if (filling.size() == 0) {
            return;
        }
        CopyChunk full = filling;
        filling = sending;
        sending = full;
        inFlight = threads.newThread(() -> {
            try {
                sender.send(full);
            } catch (Throwable t) {
                thrown = t;
            }
        });
        inFlight.start();
    }

    /**
     * Waits for the chunk in flight, then sends the one being filled on the caller's thread (there is nothing left to
     * overlap it with). Throws the first failure of either.
     */
    void finish() throws SendFailure {
        awaitInFlight();
        if (filling.size() == 0) {
            return;
        }
        try {
            sender.send(filling);
        } catch (Throwable t) {
            failed = t;
            rethrow(t);
        } finally {
            filling.reset();
        }
    }

    /**
     * Waits for the chunk in flight, if any, without throwing its failure, and empties both chunks: after it no thread
     * of this hand-off runs and nothing more is sent (a COPY still running when the caller deletes what was sent would
     * leave its rows behind).
     */
    @Override
    public void close() {
        joinInFlight();
        closed = true;
        filling.reset();
        sending.reset();
    }

    /** Waits until the chunk in flight is sent and takes it back, empty; throws the first failure so far. */
    private void awaitInFlight() throws SendFailure {
        if (closed) {
            throw new IllegalStateException("the chunk hand-off is closed");
        }
        if (inFlight != null) {
            joinInFlight();
            sending.reset();
            if (thrown != null && failed == null) {
                failed = thrown;
            }
        }
        if (failed != null) {
            filling.reset();
            rethrow(failed);
        }
    }

    /**
     * Waits until the thread in flight, if any, has ended, even when interrupted: the chunk is the sender's until it is
     * sent, and a COPY that commits after the caller deleted what was sent would leave its rows behind. The interrupt
     * is kept for the caller.
     */
    private void joinInFlight() {
        if (inFlight == null) {
            return;
        }
        boolean interrupted = false;
        while (true) {
            try {
                inFlight.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        inFlight = null;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void rethrow(Throwable t) throws SendFailure {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new SendFailure(t);
    }
}
