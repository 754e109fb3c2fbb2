package dify.reconciler.inventory.storage;

import dify.reconciler.catalog.KeyOrder;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Turns a listing in UTF-16 code-unit order (Java's {@link String#compareTo}: Azure Blob, Azurite) into the UTF-8 byte
 * order {@link ObjectStorage#list} promises, holding back at most {@code window} objects, or fails naming the order
 * problem.
 *
 * <p>Why this is correct. Compare the two orders unit by unit: they agree except where two keys first differ with a
 * high surrogate (a character above U+FFFF) in one and a unit in U+E000–U+FFFF in the other; UTF-16 order puts the
 * surrogate first, code-point (= UTF-8 byte) order puts it last. So after reading key {@code K} from a listing that is
 * strictly ascending in UTF-16 order, every key still to come is, in code-point order:
 * <ul>
 * <li>greater than {@code K} when {@code K} has no surrogate: at the first unit where a later key differs, it is
 * UTF-16-greater than a unit of {@code K} outside the surrogates, and then code-point-greater too;</li>
 * <li>at least {@code P = K[0, i) + U+E000}, where {@code i} is {@code K}'s first high surrogate, otherwise: a later
 * key smaller than {@code K} in code-point order must differ from it first at a high surrogate of {@code K}, with a
 * unit in U+E000–U+FFFF, and the smallest such key is {@code P}.</li>
 * </ul>
 * Objects already read are kept sorted in code-point order and released from the smallest while they are below that
 * bound, so what is released is never followed by a smaller key. A listing that is not even strictly ascending in
 * UTF-16 order (an account with a hierarchical namespace lists folder by folder) breaks the premise: it fails.
 */
final class Utf16ListingReorder implements Iterator<StoredObject> {

    private final Iterator<StoredObject> source;
    private final int window;
    private final Supplier<String> listingName;
    private final TreeMap<String, StoredObject> held = new TreeMap<>(KeyOrder.COMPARATOR);
    private String previousKey;
    /** Every key still to come is at least this (code-point order). */
    private String bound;
    private boolean exhausted;
    /** Whether a later key may equal {@link #bound} (it may when the bound is P, not when it is a key already read). */
    private boolean boundMayRecur;

    /**
     * @param source the listing as the server returns it
     * @param window the most objects held back; more fails the listing
     * @param listingName names the listing in errors, e.g. {@code prefix 'plugin/' of azure_blob://c (…)}
     */
    Utf16ListingReorder(Iterator<StoredObject> source, int window, Supplier<String> listingName) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be positive, was " + window);
        }
        this.source = source;
        this.window = window;
        this.listingName = listingName;
    }

    @Override
    public boolean hasNext() {
        while (!releasable()) {
            if (!source.hasNext()) {
                exhausted = true;
                break;
            }
            read(source.next());
        }
        return !held.isEmpty();
    }

    @Override
    public StoredObject next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return held.pollFirstEntry().getValue();
    }

    private boolean releasable() {
        if (held.isEmpty()) {
            return false;
        }
        if (exhausted) {
            return true;
        }
        int c = KeyOrder.compare(held.firstKey(), bound);
        return c < 0 || (c == 0 && !boundMayRecur);
    }

    private void read(StoredObject object) {
        String key = object.key();
        if (previousKey != null && key.compareTo(previousKey) <= 0) {
            throw new StorageException("listing out of order from " + listingName.get() + ": '" + key + "' came after '"
                    + previousKey + "', which is neither UTF-8 byte order nor the UTF-16 code-unit order Azure Blob lists"
                    + " in (a storage account with a hierarchical namespace lists folder by folder; the reconciler"
                    + " cannot merge such a listing)");
        }
        previousKey = key;
        held.put(key, object);
        int surrogate = firstHighSurrogate(key);
        if (surrogate < 0) {
            bound = key;
            boundMayRecur = false;
        } else {
            bound = key.substring(0, surrogate) + '\uE000';
            boundMayRecur = true;
        }
        // Only what must wait counts: keys at or above the bound (those below it are released next).
        if (held.size() > window && held.tailMap(bound, boundMayRecur).size() > window) {
            throw new StorageException("listing of " + listingName.get() + " is in UTF-16 code-unit order and more than "
                    + window + " objects with characters above U+FFFF (emoji, surrogate pairs) had to be held back to put"
                    + " it in UTF-8 byte order (first held: '" + held.firstKey() + "'); refusing to merge it out of order");
        }
    }

    private static int firstHighSurrogate(String key) {
        for (int i = 0; i < key.length(); i++) {
            if (Character.isHighSurrogate(key.charAt(i))) {
                return i;
            }
        }
        return -1;
    }
}
