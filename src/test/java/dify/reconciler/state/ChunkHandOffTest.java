package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.inventory.storage.CopyChunk;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The hand-off between the scan filling COPY chunks and the thread sending them: chunks arrive whole and in order, at
 * most one is in flight (a second hand-over waits), a failed send fails the next call with its cause, and no thread
 * outlives {@link ChunkHandOff#finish} or {@link ChunkHandOff#close}.
 */
class ChunkHandOffTest {

    /** Makes daemon threads and keeps them, to check none is alive afterwards. */
    private static final class Threads implements ThreadFactory {
        final List<Thread> made = Collections.synchronizedList(new ArrayList<>());

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "hand-off-test");
            t.setDaemon(true);
            made.add(t);
            return t;
        }

        boolean noneAlive() {
            synchronized (made) {
                return made.stream().noneMatch(Thread::isAlive);
            }
        }
    }

    /** Records what it is sent, as text, and on which thread. */
    private static final class Recorder implements ChunkHandOff.Sender {
        final List<String> sent = Collections.synchronizedList(new ArrayList<>());
        final List<Thread> on = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void send(CopyChunk chunk) throws Exception {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            chunk.asInput().transferTo(bytes);
            sent.add(bytes.toString(StandardCharsets.UTF_8));
            on.add(Thread.currentThread());
        }
    }

    @Test
    void sendsEveryChunkWholeAndInOrderTheLastOnTheCallersThread() throws Exception {
        Threads threads = new Threads();
        Recorder recorder = new Recorder();
        ChunkHandOff handOff = new ChunkHandOff(64, recorder, threads);
        List<String> expected = new ArrayList<>();
        for (int chunk = 0; chunk < 50; chunk++) {
            StringBuilder text = new StringBuilder();
            for (int row = 0; row < 3; row++) {
                String value = "c" + chunk + "r" + row;
                handOff.filling().row(value);
                text.append(value).append('\n');
            }
            expected.add(text.toString());
            if (chunk < 49) {
                handOff.handOver();
            }
            if (chunk == 10) {
                handOff.handOver(); // an empty chunk: nothing sent, no thread
            }
        }
        handOff.finish();

        assertEquals(expected.subList(0, 49), recorder.sent.subList(0, 49), "in the order handed over, each whole");
        assertEquals(expected, recorder.sent, "the last one sent by finish");
        assertEquals(49, threads.made.size(), "one thread per chunk sent in the background");
        assertSame(Thread.currentThread(), recorder.on.get(49), "the last chunk on the caller's thread");
        assertTrue(recorder.on.subList(0, 49).stream().noneMatch(t -> t == Thread.currentThread()));
        assertTrue(threads.noneAlive(), "no thread left after finish");
        assertEquals(0, handOff.filling().size());
    }

    @Test
    void aSecondHandOverWaitsUntilTheChunkInFlightIsSent() throws Exception {
        Threads threads = new Threads();
        CountDownLatch firstStarted = new CountDownLatch(1);
        Semaphore release = new Semaphore(0);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger mostInFlight = new AtomicInteger();
        Recorder recorder = new Recorder();
        ChunkHandOff handOff = new ChunkHandOff(64, chunk -> {
            mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            firstStarted.countDown();
            release.acquire();
            recorder.send(chunk);
            inFlight.decrementAndGet();
        }, threads);
        handOff.filling().row("first");
        handOff.handOver();
        assertTrue(firstStarted.await(10, TimeUnit.SECONDS));
        handOff.filling().row("second");

        Thread caller = new Thread(() -> {
            try {
                handOff.handOver();
            } catch (ChunkHandOff.SendFailure e) {
                throw new IllegalStateException(e);
            }
        });
        caller.start();
        caller.join(300);
        assertTrue(caller.isAlive(), "the second hand-over waits while the first chunk is in flight");
        assertEquals(List.of(), recorder.sent);

        release.release(2);
        caller.join(10_000);
        assertFalse(caller.isAlive(), "and goes on once it was sent");
        handOff.finish();
        assertEquals(List.of("first\n", "second\n"), recorder.sent);
        assertEquals(1, mostInFlight.get(), "never two chunks in flight");
        assertTrue(threads.noneAlive());
    }

    @Test
    void aFailedSendFailsTheNextHandOverWithItsCauseAndNothingMoreIsSent() throws Exception {
        Threads threads = new Threads();
        Recorder recorder = new Recorder();
        IOException broken = new IOException("connection reset by the test");
        ChunkHandOff handOff = new ChunkHandOff(64, chunk -> {
            if (recorder.sent.size() == 1) {
                throw broken;
            }
            recorder.send(chunk);
        }, threads);
        handOff.filling().row("one");
        handOff.handOver();
        handOff.filling().row("two"); // fails in the background
        handOff.handOver();
        handOff.filling().row("three");

        ChunkHandOff.SendFailure failure = assertThrows(ChunkHandOff.SendFailure.class, handOff::handOver);
        assertSame(broken, failure.getCause());
        assertEquals("connection reset by the test", failure.getMessage());
        assertEquals(0, handOff.filling().size(), "what was being filled is dropped");
        handOff.filling().row("four");
        assertSame(broken, assertThrows(ChunkHandOff.SendFailure.class, handOff::finish).getCause(), "and every call after it fails");
        assertEquals(List.of("one\n"), recorder.sent, "nothing sent after the failure");
        assertEquals(2, threads.made.size());
        assertTrue(threads.noneAlive());
        handOff.close();
    }

    @Test
    void aFailureOfTheChunkInFlightFailsFinishBeforeTheLastChunkIsSent() throws Exception {
        Recorder recorder = new Recorder();
        ChunkHandOff handOff = new ChunkHandOff(64, chunk -> {
            if (recorder.sent.isEmpty()) {
                recorder.sent.add("refused");
                throw new java.sql.SQLException("permission denied for table scan_findings");
            }
            recorder.send(chunk);
        }, new Threads());
        handOff.filling().row("one");
        handOff.handOver();
        handOff.filling().row("last");
        assertEquals("permission denied for table scan_findings",
                assertThrows(ChunkHandOff.SendFailure.class, handOff::finish).getCause().getMessage());
        assertEquals(List.of("refused"), recorder.sent, "the last chunk is not sent after a failure");
    }

    @Test
    void anUncheckedFailureIsRethrownAsItWasOnTheCallersThread() throws Exception {
        UncheckedIOException bug = new UncheckedIOException(new IOException("a bug in the sender"));
        ChunkHandOff handOff = new ChunkHandOff(64, chunk -> {
            throw bug;
        }, new Threads());
        handOff.filling().row("one");
        handOff.handOver();
        handOff.filling().row("two");
        assertSame(bug, assertThrows(UncheckedIOException.class, handOff::handOver));
        assertSame(bug, assertThrows(UncheckedIOException.class, handOff::finish));
    }

    @Test
    void closeWaitsForTheChunkInFlightLeavesNoThreadAndSendsNothingMore() throws Exception {
        Threads threads = new Threads();
        CountDownLatch started = new CountDownLatch(1);
        Recorder recorder = new Recorder();
        ChunkHandOff handOff = new ChunkHandOff(64, chunk -> {
            started.countDown();
            Thread.sleep(200);
            recorder.send(chunk);
        }, threads);
        handOff.filling().row("in flight");
        handOff.handOver();
        handOff.filling().row("never sent");
        assertTrue(started.await(10, TimeUnit.SECONDS));

        handOff.close();
        assertEquals(List.of("in flight\n"), recorder.sent, "close returned only once the chunk in flight was sent");
        assertTrue(threads.noneAlive(), "no thread left after close");
        assertEquals(0, handOff.filling().size(), "the chunk being filled is dropped");
        assertThrows(IllegalStateException.class, handOff::handOver);
        handOff.close(); // twice is harmless
        assertEquals(1, threads.made.size());
    }

    @Test
    void closeIgnoresAFailureAndKeepsTheCallersInterrupt() throws Exception {
        Threads threads = new Threads();
        CountDownLatch started = new CountDownLatch(1);
        ChunkHandOff handOff = new ChunkHandOff(64, chunk -> {
            started.countDown();
            Thread.sleep(200);
            throw new IOException("failed while closing");
        }, threads);
        handOff.filling().row("in flight");
        handOff.handOver();
        assertTrue(started.await(10, TimeUnit.SECONDS));
        Thread.currentThread().interrupt();
        try {
            handOff.close();
            assertTrue(Thread.interrupted(), "the interrupt is kept (and cleared here)");
        } finally {
            Thread.interrupted();
        }
        assertTrue(threads.noneAlive(), "close waited for the send even though interrupted");
    }
}
