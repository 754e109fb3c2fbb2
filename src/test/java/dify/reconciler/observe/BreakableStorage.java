package dify.reconciler.observe;

import dify.reconciler.config.DaemonSettings;
import dify.reconciler.inventory.storage.LocalObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.testsupport.ForwardingStorage;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The daemon's local storage, which a test can make throw any {@link Throwable} from its listings (an
 * {@link OutOfMemoryError}, say): the only way to see what the service does with an Error in mid-scan.
 * Enabled only by {@link BreakableStorageProfile}.
 */
@Alternative
@Singleton
public class BreakableStorage extends ForwardingStorage {

    /** Thrown by every {@link #list} while set. Static: the test and the service share one JVM. */
    static volatile Throwable failure;

    /** While set, every {@link #list} counts down {@link #listing} and then waits for this gate to open. */
    static volatile CountDownLatch gate;
    static volatile CountDownLatch listing;

    @Inject
    public BreakableStorage(DaemonSettings settings) {
        super(new LocalObjectStorage(settings.localRoot()));
    }

    @Override
    public Stream<StoredObject> list(String prefix) {
        Throwable f = failure;
        if (f != null) {
            throw BreakableStorage.<RuntimeException>sneaky(f);
        }
        CountDownLatch g = gate;
        if (g != null) {
            listing.countDown();
            try {
                if (!g.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never opened the gate");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return super.list(prefix);
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T sneaky(Throwable t) throws T {
        throw (T) t;
    }
}
