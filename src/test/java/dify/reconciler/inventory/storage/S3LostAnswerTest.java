package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.testsupport.FaultyHttpProxy;
import dify.reconciler.testsupport.FaultyHttpProxy.Fault;
import dify.reconciler.testsupport.S3ProxyServer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A conditional write whose first attempt succeeded but whose answer was lost (the proxy forwards it to S3Proxy,
 * then resets the connection), so the SDK's retry meets our own object and answers 412: when the key holds exactly
 * the bytes we wrote, the write is returned as written (the caller records it as created); when it holds other
 * bytes (of the same size, too), it stays a refusal and nothing is overwritten.
 */
class S3LostAnswerTest {

    private static final String KEY = "assets/0123456789abcdef.svg";
    private static final byte[] OURS = "<svg>ours</svg>".getBytes(StandardCharsets.UTF_8);
    private static final byte[] THEIRS = "<svg>someone else's</svg>".getBytes(StandardCharsets.UTF_8);

    private final S3ProxyServer s3 = S3ProxyServer.shared();
    private FaultyHttpProxy proxy;
    private String bucket;
    private S3ObjectStorage storage;
    /** Method and path of every request the proxy saw for {@link #KEY}. */
    private final List<String> writes = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        bucket = s3.createBucket("lost-answer-" + System.nanoTime());
        proxy = FaultyHttpProxy.to(s3.endpoint());
        storage = S3ObjectStorage.create(new S3Settings(proxy.endpoint().toString(), true, false, false, s3.accessKey(),
                s3.secretKey(), S3ProxyServer.REGION, bucket));
    }

    @AfterEach
    void close() {
        storage.close();
        proxy.close();
    }

    @Test
    void aPutWhoseAnswerWasLostIsOursWhenTheKeyHoldsExactlyOurBytes() {
        onWritesTo(KEY, attempt -> attempt == 1 ? new Fault.LostAnswer() : Fault.PASS);

        StoredObject written = storage.put(KEY, OURS, null);

        assertEquals(2, writes.size(), "written once, answer lost, retried (S3Proxy answered the retry 412): " + writes);
        assertEquals(KEY, written.key());
        assertEquals(OURS.length, written.size());
        assertTrue(written.sameVersionAs(storage.head(KEY).orElseThrow()), "the version returned is the one in the bucket");
        assertArrayEquals(OURS, bytes(KEY));
    }

    @Test
    void aRetryThatFindsOtherBytesIsRefusedAndNothingIsOverwritten() {
        // Someone else writes the key while our first attempt is lost before it reaches S3; the retry answers 412.
        onWritesTo(KEY, attempt -> {
            if (attempt == 1) {
                s3.putDirectly(bucket, KEY, THEIRS);
                return new Fault.Reset();
            }
            return Fault.PASS;
        });

        ObjectChangedException e = assertThrows(ObjectChangedException.class, () -> storage.put(KEY, OURS, null));

        assertEquals(2, writes.size(), writes.toString());
        assertTrue(e.getMessage().contains("412") && e.getMessage().contains("nothing written"), e.getMessage());
        assertArrayEquals(THEIRS, bytes(KEY));
    }

    /**
     * The documented choice (LostAnswer): identical bytes are claimed even when the request was refused at what the SDK
     * counts as its first attempt, because the HTTP client may have resent it unseen; restore then removes them.
     */
    @Test
    void identicalBytesAreClaimedEvenWhenNoRetryWasCounted() {
        onWritesTo(KEY, attempt -> {
            if (attempt == 1) {
                s3.putDirectly(bucket, KEY, OURS);
            }
            return Fault.PASS;
        });

        StoredObject written = storage.put(KEY, OURS, null);

        assertEquals(1, writes.size(), "refused at once: " + writes);
        assertTrue(written.sameVersionAs(storage.head(KEY).orElseThrow()));
    }

    /**
     * S3 evaluates {@code If-None-Match: *} on CopyObject; S3Proxy 4.1.0 ignores it, so the proxy answers the retry
     * with the 412 S3 would send. The retry is the JDK's own resend of a bodiless request: the SDK counts one attempt.
     */
    @Test
    void aCopyWhoseAnswerWasLostIsOursWhenTheTargetHoldsTheSourcesBytes() {
        s3.putDirectly(bucket, "plugin_packages/source", OURS);
        StoredObject source = storage.head("plugin_packages/source").orElseThrow();
        onWritesTo(KEY, attempt -> attempt == 1 ? new Fault.LostAnswer() : new Fault.Status(412));

        StoredObject written = storage.copy(source, KEY, null);

        assertEquals(2, writes.size(), writes.toString());
        assertEquals(OURS.length, written.size());
        assertArrayEquals(OURS, bytes(KEY));
    }

    @Test
    void aCopyRetriedOntoOtherBytesIsRefused() {
        s3.putDirectly(bucket, "plugin_packages/source", OURS);
        StoredObject source = storage.head("plugin_packages/source").orElseThrow();
        byte[] sameLength = "<svg>theirs!!!!".getBytes(StandardCharsets.UTF_8);
        assertEquals(OURS.length, sameLength.length, "same size: only the bytes tell them apart");
        onWritesTo(KEY, attempt -> {
            if (attempt == 1) {
                s3.putDirectly(bucket, KEY, sameLength);
                return new Fault.Reset();
            }
            return new Fault.Status(412);
        });

        assertThrows(ObjectChangedException.class, () -> storage.copy(source, KEY, null));

        assertArrayEquals(sameLength, bytes(KEY));
    }

    /** Applies {@code fault} to the n-th PUT of {@code key} (1-based); every other request passes. */
    private void onWritesTo(String key, Function<Integer, Fault> fault) {
        AtomicInteger attempts = new AtomicInteger();
        proxy.policy(r -> {
            if (!r.method().equals("PUT") || !r.target().split("\\?")[0].endsWith("/" + key)) {
                return Fault.PASS;
            }
            writes.add(r.method() + " " + r.target());
            return fault.apply(attempts.incrementAndGet());
        });
    }

    private byte[] bytes(String key) {
        return s3.client().getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
    }
}
