package dify.reconciler.inventory.storage;

import dify.reconciler.catalog.ObservedVersion;
import java.time.Instant;

/**
 * One object as listed: its full key (prefix included), size in bytes, last-modified time and entity tag
 * (null for stores without one, such as local storage).
 */
public record StoredObject(String key, long size, Instant lastModified, String etag) {

    /** An object of a store without entity tags (local storage). */
    public StoredObject(String key, long size, Instant lastModified) {
        this(key, size, lastModified, null);
    }

    /** The version a finding about this object carries. */
    public ObservedVersion version() {
        return ObservedVersion.object(size, lastModified, etag);
    }
}
