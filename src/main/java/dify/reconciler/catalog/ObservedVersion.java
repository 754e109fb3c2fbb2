package dify.reconciler.catalog;

import java.time.Instant;

/**
 * The version of a finding's subject as the scan observed it. Whatever acts on a finding later must first
 * check that its subject still has this version (compare-and-set), so a row or object that changed after
 * the scan is never acted on from a stale verdict.
 *
 * @param changedAt    for a row: when it last changed as read, the later of {@code created_at} and
 *                     {@code updated_at} (whichever the table has; {@code updated_at} for every row the daemon
 *                     wrote or updated). Null for a row without either timestamp, and for an object.
 * @param size         for an object: its size in bytes. For a {@code tenant_storages} row: its {@code size} column
 *                     as read (the value a repair compares before it sets the measured one). Null for other rows.
 * @param lastModified for an object: its last-modified time. Null for a row.
 * @param etag         for an object: its entity tag as the store returned it (S3 quotes it, e.g. {@code "9b2c…"}).
 *                     Null for a row and for stores without entity tags (local storage).
 */
public record ObservedVersion(Instant changedAt, Long size, Instant lastModified, String etag) {

    /** The version of a row: its change time as read (null when the row has no timestamp). */
    public static ObservedVersion row(Instant changedAt) {
        return new ObservedVersion(changedAt, null, null, null);
    }

    /** The version of an object as listed. */
    public static ObservedVersion object(long size, Instant lastModified, String etag) {
        return new ObservedVersion(null, size, lastModified, etag);
    }
}
