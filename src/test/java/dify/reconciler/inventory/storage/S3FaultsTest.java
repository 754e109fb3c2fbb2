package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.testsupport.FaultyHttpProxy;
import dify.reconciler.testsupport.FaultyHttpProxy.Fault;
import dify.reconciler.testsupport.S3ProxyServer;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The S3 adapter, built exactly as the service builds it (the daemon's S3_* settings, the SDK's default
 * retries), against S3Proxy behind a proxy that injects faults: transient 503s are retried and change nothing;
 * a page that keeps failing, a reset connection or a body cut short fail the listing or the read, never a
 * shorter listing or truncated bytes (a truncated package would hash as a checksum mismatch, a false critical).
 */
class S3FaultsTest {

    private static final int OBJECTS = 2_300; // three pages of 1,000

    private final S3ProxyServer s3 = S3ProxyServer.shared();
    private FaultyHttpProxy proxy;
    private String bucket;
    private S3ObjectStorage storage;
    private byte[] payload;

    @BeforeEach
    void fill() {
        bucket = s3.createBucket("faults-" + System.nanoTime());
        for (int i = 0; i < OBJECTS; i++) {
            s3.putDirectly(bucket, String.format("plugin/k%05d", i), new byte[] {(byte) i});
        }
        payload = new byte[3 << 20];
        new Random(1).nextBytes(payload);
        s3.putDirectly(bucket, "plugin_packages/big", payload);
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
    void transientServiceUnavailableIsRetriedAndTheListingIsComplete() {
        proxy.policy(r -> r.number() % 2 == 1 ? new Fault.Status(503) : Fault.PASS); // every first attempt fails

        assertEquals(OBJECTS, count("plugin/"));
        // 2,300 keys are three pages of 1,000: each page's first attempt met a 503 and its one retry passed.
        assertEquals(3, proxy.faults(), "each page met exactly one 503");
        assertEquals(6, proxy.requests(), "each page was asked for twice, no more");
    }

    @Test
    void aPageThatKeepsFailingFailsTheListingInsteadOfEndingItEarly() {
        proxy.policy(r -> r.target().contains("continuation-token") ? new Fault.Status(500) : Fault.PASS);

        StorageException e = assertThrows(StorageException.class, () -> count("plugin/"));
        assertTrue(e.getMessage().contains("500") || e.getMessage().toLowerCase().contains("internal"), e.getMessage());
    }

    @Test
    void slowAnswersAreWaitedFor() {
        proxy.policy(r -> new Fault.Delay(300));

        assertEquals(OBJECTS, count("plugin/"));
    }

    @Test
    void aResetConnectionFailsTheListing() {
        proxy.policy(r -> r.target().contains("continuation-token") ? new Fault.Reset() : Fault.PASS);

        assertThrows(StorageException.class, () -> count("plugin/"));
    }

    @Test
    void aBodyCutShortIsAnErrorNeverTruncatedBytes() {
        proxy.policy(r -> r.method().equals("GET") && r.target().contains("plugin_packages/big") ? new Fault.CutBody() : Fault.PASS);

        Exception e = assertThrows(Exception.class, () -> {
            try (InputStream in = storage.open("plugin_packages/big")) {
                byte[] read = in.readAllBytes();
                throw new AssertionError("read " + read.length + " of " + payload.length + " bytes without an error");
            }
        });
        assertTrue(e instanceof IOException || e instanceof StorageException || e.getCause() instanceof IOException, e.toString());

        proxy.policy(r -> Fault.PASS);
        try (InputStream in = storage.open("plugin_packages/big")) {
            assertArrayEquals(payload, in.readAllBytes());
        } catch (IOException io) {
            throw new AssertionError(io);
        }
    }

    private long count(String prefix) {
        try (Stream<StoredObject> listing = storage.list(prefix)) {
            List<StoredObject> all = listing.toList();
            return all.size();
        }
    }
}
