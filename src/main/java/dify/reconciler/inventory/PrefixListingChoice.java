package dify.reconciler.inventory;

import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.jboss.logging.Logger;

/**
 * Chooses between the sequential listing of a prefix and {@link ParallelPrefixListing} from the first keys of the
 * sequential one.
 *
 * <p>Why: a folder listing costs at least one request however few objects the folder holds, while the sequential
 * listing reads up to a page ({@link #PAGE} keys on S3) per request. With {@code c} folders in flight the parallel
 * listing is faster only when folders hold more than about {@code PAGE / c} objects on average; a bucket of 10,000
 * workspaces with a handful of plugin-data objects each would need 10,000 folder requests instead of ~50 pages. So the
 * sequential listing is started, its first {@code sampleKeys} keys are read, and the number of folders (and objects
 * directly under the prefix) they lie in decides: more than {@link #maxFoldersForParallel} of them means folders of
 * fewer than about {@code 2 × PAGE / c} objects (twice the break-even, since a parallel listing also costs a delimiter
 * listing and threads), and the sequential listing goes on from where the sample ended (nothing listed twice);
 * otherwise it is closed and the prefix is listed in parallel from the start (the sample's one or two pages are read
 * again; no third page is read to choose). A listing that ends inside the sample is delivered as it is. The sample is the bucket's first folders, not
 * a random draw: a bucket whose first workspaces are small and later ones huge is listed sequentially, as it was
 * before parallel listing existed; the keys and their order are the same either way, only the time differs.
 */
public final class PrefixListingChoice {

    /** Keys a page of the sequential listing returns on S3 (ListObjectsV2's maximum). */
    static final int PAGE = 1000;
    /** Keys read before choosing: two pages. */
    public static final int SAMPLE_KEYS = 2 * PAGE;

    private static final Logger LOG = Logger.getLogger(PrefixListingChoice.class);

    private PrefixListingChoice() {
    }

    /**
     * @param prefix      ends in '/' to be listed in parallel (anything else is listed sequentially)
     * @param concurrency folder listings in flight at once if listed in parallel; 1 lists sequentially
     * @param sampleKeys  keys of the sequential listing read before choosing
     */
    public static Stream<StoredObject> list(ObjectStorage storage, String prefix, int concurrency, int queueCapacity,
            int sampleKeys) {
        if (concurrency == 1 || !prefix.endsWith("/")) {
            return ParallelPrefixListing.list(storage, prefix, concurrency, queueCapacity);
        }
        Stream<StoredObject> sequential = storage.list(prefix);
        Iterator<StoredObject> keys;
        List<StoredObject> sample = new ArrayList<>();
        int folders = 0;
        try {
            keys = sequential.iterator();
            String folder = null;
            while (sample.size() < sampleKeys && keys.hasNext()) {
                StoredObject object = keys.next();
                String part = partOf(prefix, object.key());
                if (!part.equals(folder)) {
                    folders++;
                    folder = part;
                }
                sample.add(object);
            }
            // A sample shorter than asked for is the whole listing. (Not asking keys.hasNext() after a full sample
            // spares the request for a third page when the parallel listing is chosen.)
            if (sample.size() < sampleKeys || folders > maxFoldersForParallel(sampleKeys, concurrency)) {
                LOG.debugf("'%s' is listed sequentially: its first %d keys lie in %d folders", prefix, sample.size(),
                        folders);
                Iterator<StoredObject> rest = keys;
                Iterator<StoredObject> all = new Iterator<>() {
                    private final Iterator<StoredObject> head = sample.iterator();

                    @Override
                    public boolean hasNext() {
                        return head.hasNext() || rest.hasNext();
                    }

                    @Override
                    public StoredObject next() {
                        return head.hasNext() ? head.next() : rest.next();
                    }
                };
                return StreamSupport.stream(Spliterators.spliteratorUnknownSize(all,
                        Spliterator.ORDERED | Spliterator.DISTINCT | Spliterator.NONNULL), false)
                        .onClose(sequential::close);
            }
        } catch (RuntimeException | Error e) {
            sequential.close();
            throw e;
        }
        sequential.close();
        LOG.debugf("'%s' is listed folder by folder: its first %d keys lie in %d folders", prefix, sample.size(),
                folders);
        return ParallelPrefixListing.list(storage, prefix, concurrency, queueCapacity);
    }

    /**
     * The most folders a sample may span for the parallel listing to be chosen: folders of at least {@code 2 × PAGE /
     * concurrency} objects on average, and never fewer than 2 (a sample always touches the folder it ends in).
     */
    static int maxFoldersForParallel(int sampleKeys, int concurrency) {
        long averageAtLeast = 2L * PAGE / concurrency;
        return (int) Math.max(2, sampleKeys / Math.max(1, averageAtLeast));
    }

    /** The folder ({@code prefix + name + "/"}) or, directly under the prefix, the object a key is listed in. */
    private static String partOf(String prefix, String key) {
        int slash = key.indexOf('/', prefix.length());
        return slash < 0 ? key : key.substring(0, slash + 1);
    }
}
