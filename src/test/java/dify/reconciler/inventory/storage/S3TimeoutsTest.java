package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.testsupport.FaultyHttpProxy;
import dify.reconciler.testsupport.FaultyHttpProxy.Fault;
import dify.reconciler.testsupport.S3ProxyServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An S3 endpoint that accepts connections and then does not answer fails the request within the configured
 * limits ({@code reconciler.s3.*}), retries included, instead of holding a scan or an apply: against S3Proxy
 * behind a proxy that holds every request, and one that answers only after the whole-request limit.
 */
class S3TimeoutsTest {

    private final S3ProxyServer s3 = S3ProxyServer.shared();
    private FaultyHttpProxy proxy;
    private String bucket;

    @BeforeEach
    void start() {
        bucket = s3.createBucket("timeouts-" + System.nanoTime());
        s3.putDirectly(bucket, "plugin_packages/one", new byte[] {1});
        proxy = FaultyHttpProxy.to(s3.endpoint());
    }

    @AfterEach
    void close() {
        proxy.close();
    }

    private S3ObjectStorage storage(S3Timeouts timeouts) {
        return S3ObjectStorage.create(new S3Settings(proxy.endpoint().toString(), true, false, false, s3.accessKey(),
                s3.secretKey(), S3ProxyServer.REGION, bucket), timeouts, StorageRequestListener.NO_OP);
    }

    @Test
    void aServerThatNeverAnswersFailsTheRequestWithinTheWholeRequestLimit() {
        try (S3ObjectStorage storage = storage(new S3Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(3)))) {
            assertTrue(storage.head("plugin_packages/one").isPresent(), "answers before the hang");
            proxy.policy(r -> new Fault.Hang());
            long t0 = System.nanoTime();
            StorageException e = assertThrows(StorageException.class, () -> storage.head("plugin_packages/one"));
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            // Each attempt waits out its 1 s read timeout and the SDK retries with back-off: three attempts and their
            // back-off outlast 3 s, so the whole-request limit ends the call, at 3 s (the margin, 1.5 s, covers
            // scheduling on a loaded 2-core runner). Without that limit the retries end about as soon, with a read
            // timeout: only the message tells which limit ended the call, so it is asserted exactly.
            assertTrue(took.compareTo(Duration.ofSeconds(3)) >= 0, "failed before the 3 s limit, after " + took + ": " + e);
            assertTrue(took.compareTo(Duration.ofMillis(4_500)) < 0, "failed after " + took);
            assertTrue(e.getMessage().contains("got no answer within reconciler.s3.request-timeout"), e.getMessage());
            assertTrue(proxy.faults() >= 1);
        }
    }

    @Test
    void anAnswerSlowerThanTheWholeRequestLimitFailsEvenWhileNoReadTimesOut() {
        // Each attempt would get its answer within the read timeout; the whole request may not take that long.
        try (S3ObjectStorage storage = storage(new S3Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(20), Duration.ofSeconds(2)))) {
            proxy.policy(r -> new Fault.Delay(6_000));
            long t0 = System.nanoTime();
            StorageException e = assertThrows(StorageException.class, () -> storage.head("plugin_packages/one"));
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "failed after " + took);
            assertTrue(e.getMessage().contains("reconciler.s3.request-timeout"), e.getMessage());
        }
    }

    @Test
    void limitsArePositive() {
        assertEquals(Duration.ofMinutes(2), S3Timeouts.DEFAULTS.request());
        assertThrows(IllegalArgumentException.class, () -> new S3Timeouts(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new S3Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(-1)));
        assertTrue(e.getMessage().contains("reconciler.s3.request-timeout"), e.getMessage());
    }
}
