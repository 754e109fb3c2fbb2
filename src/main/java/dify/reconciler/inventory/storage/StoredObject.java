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

    /**
     * Whether {@code other} is this object at the same version: same key and size, and the same entity tag
     * where both have one, else the same last-modified time (local storage, whose listing and head read the
     * same file attributes). A null {@code other} (absent) is never the same.
     */
    public boolean sameVersionAs(StoredObject other) {
        if (other == null || !key.equals(other.key) || size != other.size) {
            return false;
        }
        if (etag != null && other.etag != null) {
            return etag.equals(other.etag);
        }
        return lastModified != null && lastModified.equals(other.lastModified);
    }

    /**
     * Whether an entity tag is a digest of the bytes that a server-side copy keeps, so that the tags of two different
     * keys may be compared: S3's single-part ETag, the quoted MD5 (32 hex digits). A multipart ETag ({@code "…-N"}),
     * Azure's ({@code 0x8D…}, a version the service assigns to each write) and other stores' are not: a correct copy
     * has another tag there.
     */
    public static boolean isContentDigest(String etag) {
        return etag != null && etag.matches("\"?[0-9a-fA-F]{32}\"?");
    }

    /**
     * Whether an entity tag names a write rather than the bytes: Azure Blob's {@code 0x8D…} (quoted or not), which the
     * service assigns anew to every write, a copy included. Two such tags never say whether the bytes are the same.
     */
    public static boolean isWriteVersion(String etag) {
        return etag != null && etag.matches("\"?0x[0-9A-Fa-f]+\"?");
    }

    /** A short description of the version, for audit lines and refusals. */
    public String describeVersion() {
        return size + " bytes" + (etag != null ? ", ETag " + etag : "") + (lastModified != null ? ", modified " + lastModified : "");
    }

    /** The version a finding about this object carries. */
    public ObservedVersion version() {
        return ObservedVersion.object(size, lastModified, etag);
    }
}
