package dify.reconciler.inventory.storage;

import java.time.Instant;

/** One object as listed: its full key (prefix included), size in bytes and last-modified time. */
public record StoredObject(String key, long size, Instant lastModified) {
}
