package dify.reconciler.inventory;

import dify.reconciler.catalog.KeyOrder;
import dify.reconciler.inventory.storage.ListingPart;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StorageException;
import dify.reconciler.inventory.storage.StoredObject;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.jboss.logging.Logger;

/**
 * {@link ObjectStorage#list} of a prefix with many folders below it ({@code persistence/<tenant>/…}), with several
 * folder listings in flight at once, delivered as one stream in the same UTF-8 byte order as the sequential listing.
 *
 * <p>The folders come from the store's delimiter listing of the prefix ({@link ObjectStorage#listOneLevel}), not from
 * the tenants the database knows: the objects of a tenant the database does not know are exactly the drift the scan
 * reports, and a listing by known tenants would never see them. Why concatenating the folders in order is the
 * sequential order: every folder part is {@code prefix + name + "/"} with no other '/' in {@code name}, and every
 * object part has no '/' after the prefix, so no part's range of keys contains another's start; two such ranges in
 * order never overlap, and all keys under the first sort before all keys under the second (they first differ inside
 * the part names). That shape and the order of the parts are checked, and every key delivered is checked again
 * against the one before it, so a store that breaks the premise fails the listing instead of producing a wrong order.
 *
 * <p>Memory is flat: at most {@code 2 × concurrency} folders are in flight, each with a queue of at most
 * {@code queueCapacity} objects (a worker waits while its queue is full). Any failure of the delimiter listing or of
 * any folder's listing fails the whole stream at the consumer's next read; closing the stream stops the workers.
 * Where the store cannot list by delimiter, or {@code concurrency} is 1, this is the sequential listing.
 */
public final class ParallelPrefixListing {

    private static final Logger LOG = Logger.getLogger(ParallelPrefixListing.class);
    private static final Object END = new Object();
    private static final AtomicInteger LISTINGS = new AtomicInteger();

    private ParallelPrefixListing() {
    }

    /**
     * @param prefix        ends in '/'
     * @param concurrency   folder listings in flight at once; 1 lists sequentially
     * @param queueCapacity objects held per folder in flight
     */
    public static Stream<StoredObject> list(ObjectStorage storage, String prefix, int concurrency, int queueCapacity) {
        if (concurrency < 1 || queueCapacity < 1) {
            throw new IllegalArgumentException("concurrency and queue capacity must be positive, were " + concurrency
                    + " and " + queueCapacity);
        }
        if (concurrency == 1 || !prefix.endsWith("/")) {
            return storage.list(prefix);
        }
        Optional<Stream<ListingPart>> parts = storage.listOneLevel(prefix);
        if (parts.isEmpty()) {
            LOG.debugf("%s cannot list by delimiter: '%s' is listed sequentially", storage.describe(), prefix);
            return storage.list(prefix);
        }
        Merge merge = new Merge(storage, prefix, parts.get(), concurrency, queueCapacity);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(merge,
                Spliterator.ORDERED | Spliterator.DISTINCT | Spliterator.NONNULL), false).onClose(merge::close);
    }

    /** One part of the level: a folder being listed by a worker, or an object delivered as it is. */
    private static final class Segment {
        final String start;
        final BlockingQueue<Object> queue;

        Segment(String start, int capacity) {
            this.start = start;
            this.queue = new ArrayBlockingQueue<>(capacity + 1); // + END
        }
    }

    private static final class Merge implements Iterator<StoredObject> {
        private final ObjectStorage storage;
        private final String prefix;
        private final Stream<ListingPart> partStream;
        private final Iterator<ListingPart> parts;
        private final int window;
        private final int queueCapacity;
        private final ExecutorService workers;
        private final Deque<Segment> inFlight = new ArrayDeque<>();
        private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        private volatile boolean closed;
        private String previousPart;
        private String previousKey;
        private StoredObject next;

        Merge(ObjectStorage storage, String prefix, Stream<ListingPart> partStream, int concurrency, int queueCapacity) {
            this.storage = storage;
            this.prefix = prefix;
            this.partStream = partStream;
            this.parts = partStream.iterator();
            this.window = 2 * concurrency;
            this.queueCapacity = queueCapacity;
            int listing = LISTINGS.incrementAndGet();
            AtomicInteger threads = new AtomicInteger();
            this.workers = Executors.newFixedThreadPool(concurrency, r -> {
                Thread t = new Thread(r, "listing-" + listing + "-" + threads.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        public boolean hasNext() {
            while (next == null) {
                fill();
                Segment head = inFlight.peekFirst();
                if (head == null) {
                    return false;
                }
                Object item = take(head);
                if (item == END) {
                    inFlight.pollFirst();
                    continue;
                }
                next = checked(head, (StoredObject) item);
            }
            return true;
        }

        @Override
        public StoredObject next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            StoredObject result = next;
            next = null;
            return result;
        }

        /** Starts folder listings up to the window; reads the delimiter listing as far as that needs. */
        private void fill() {
            while (inFlight.size() < window && !closed && parts.hasNext()) {
                ListingPart part = checkedPart(parts.next());
                if (part.isFolder()) {
                    Segment segment = new Segment(part.prefix(), queueCapacity);
                    inFlight.addLast(segment);
                    workers.execute(() -> listFolder(segment));
                } else {
                    Segment segment = new Segment(part.object().key(), 1);
                    segment.queue.add(part.object());
                    segment.queue.add(END);
                    inFlight.addLast(segment);
                }
            }
        }

        private void listFolder(Segment segment) {
            try (Stream<StoredObject> listing = storage.list(segment.start)) {
                Iterator<StoredObject> objects = listing.iterator();
                while (!closed && objects.hasNext()) {
                    segment.queue.put(objects.next());
                }
                segment.queue.put(END);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // closed: nobody reads this segment any more
            } catch (RuntimeException | Error e) {
                failure.compareAndSet(null, new StorageException("listing of '" + segment.start + "' (one of the folders of '"
                        + prefix + "' listed in parallel) failed: " + e.getMessage(), e));
            }
        }

        private Object take(Segment segment) {
            try {
                while (true) {
                    RuntimeException failed = failure.get();
                    if (failed != null) {
                        throw failed;
                    }
                    Object item = segment.queue.poll(50, TimeUnit.MILLISECONDS);
                    if (item != null) {
                        return item;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageException("interrupted while listing '" + prefix + "'", e);
            }
        }

        /** The premise of the merge: parts in strictly ascending order, each one level below the prefix. */
        private ListingPart checkedPart(ListingPart part) {
            String start = part.start();
            String name = start.startsWith(prefix) ? start.substring(prefix.length()) : null;
            boolean shaped = name != null && !name.isEmpty() && (part.isFolder()
                    ? name.indexOf('/') == name.length() - 1
                    : name.indexOf('/') < 0);
            if (!shaped) {
                throw new StorageException("the delimiter listing of '" + prefix + "' from " + storage.describe()
                        + " returned '" + start + "', which is not one level below it; refusing to merge it");
            }
            if (previousPart != null && KeyOrder.compare(previousPart, start) >= 0) {
                throw new StorageException("the delimiter listing of '" + prefix + "' from " + storage.describe()
                        + " is out of order: '" + start + "' came after '" + previousPart + "'");
            }
            previousPart = start;
            return part;
        }

        private StoredObject checked(Segment segment, StoredObject object) {
            String key = object.key();
            if (!key.startsWith(segment.start)) {
                throw new StorageException("listing of '" + segment.start + "' from " + storage.describe()
                        + " returned '" + key + "' outside it");
            }
            if (previousKey != null && KeyOrder.compare(previousKey, key) >= 0) {
                throw new StorageException("parallel listing of '" + prefix + "' out of order: '" + key + "' came after '"
                        + previousKey + "'");
            }
            previousKey = key;
            return object;
        }

        void close() {
            closed = true;
            workers.shutdownNow();
            partStream.close();
        }
    }
}
