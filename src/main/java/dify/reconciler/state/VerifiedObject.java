package dify.reconciler.state;

import java.time.Instant;
import java.util.Objects;

/**
 * What deep verify found an object's bytes to be, at the version it read them: a verdict that holds as long as the
 * object is listed with the same size, entity tag and last-modified time.
 *
 * @param key          the object's full key (prefix included)
 * @param size         its size in bytes when read
 * @param lastModified its last-modified time as listed when read
 * @param etag         its entity tag as listed when read; null for stores without one (local storage)
 * @param verifiedAt   when the bytes were read and judged (a cached verdict keeps its original time)
 * @param sha256       the sha256 of the bytes when they are the package their key names, else null
 * @param mismatch     the {@code checksum_mismatch} detail when they are not, else null
 */
public record VerifiedObject(String key, long size, Instant lastModified, String etag, Instant verifiedAt, String sha256,
        String mismatch) {

    public VerifiedObject {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(verifiedAt, "verifiedAt");
        if ((sha256 == null) == (mismatch == null)) {
            throw new IllegalArgumentException("a verdict is either a sha256 or a mismatch: " + key);
        }
    }

    /**
     * Whether an object listed now is still the one judged: same size, entity tag and last-modified time, all three
     * (a store's tag alone may be no digest, e.g. Azure's; local storage has only size and time).
     */
    public boolean sameVersion(long listedSize, Instant listedLastModified, String listedEtag) {
        return size == listedSize && Objects.equals(etag, listedEtag) && Objects.equals(lastModified, listedLastModified);
    }

    /** Whether the bytes were the package their key names. */
    public boolean valid() {
        return sha256 != null;
    }
}
