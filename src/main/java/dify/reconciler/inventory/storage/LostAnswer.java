package dify.reconciler.inventory.storage;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Optional;

/**
 * A conditional write whose answer was lost: the first attempt wrote the object, its success never reached us (a
 * dropped connection, a timeout), the client sent the request again, and the retry's own precondition failed
 * because of what the first attempt wrote ({@code If-None-Match: *} finds the key taken, {@code If-Match} finds
 * the replaced version gone). Taken at its word that 412 would say "changed, nothing written" while our object is
 * in the bucket, unrecorded, and {@code restore} would leave it behind.
 *
 * <p>So a failed precondition of a conditional write is checked here: when what is at the key now has exactly the
 * bytes we meant to write (same size and SHA-256 of the bytes, read back, never the ETag alone: a multipart or
 * copied object's ETag is no digest of its bytes), the write is taken as ours and returned as written, so the
 * caller records it as created and restore removes it like anything else we created. Any other content stays a
 * refusal ({@link ObjectChangedException}, skipped, nothing forced).
 *
 * <p>Every failed precondition is checked, not only those after a retry the SDK counted: the JDK's HTTP client
 * resends a bodiless request (CopyObject) on its own when a kept-alive connection drops, and the SDK then reports
 * one attempt; the attempt count cannot prove that an earlier attempt of ours did not write the key.
 *
 * <p>Why identical bytes may be claimed although another writer could have put them there in the same
 * milliseconds (the daemon's upload writes the same bytes for the same identifier, an asset's id is the hash of
 * its bytes): the two cases cannot be told apart from the bucket, and the choice only matters to restore.
 * Claimed, restore deletes the object (at that version only) and the bucket is as it was before our action: for
 * the keys we create (a missing asset, {@code plugin/U}, {@code plugin_packages/U}, quarantine copies) that state
 * is a finding the next scan reports and the same remedy repairs from the same verified source, and restore
 * already cannot tell our object from one rewritten later with the same bytes. Not claimed, the object we most
 * likely wrote stays untracked and restore silently leaves the bucket different from before. Local storage has no
 * such case (a file-system call is not resent): there an existing key is always another writer's.
 */
final class LostAnswer {

    private LostAnswer() {
    }

    /**
     * The object at {@code key} when it holds exactly the bytes we meant to write ({@code size} bytes whose
     * SHA-256 is {@code sha256}) and did not change while it was read; else empty.
     */
    static Optional<StoredObject> ours(ObjectStorage store, String key, long size, byte[] sha256) {
        Optional<StoredObject> now = store.head(key);
        if (now.isEmpty() || now.get().size() != size) {
            return Optional.empty();
        }
        byte[] there = sha256(store, key);
        if (!Arrays.equals(there, sha256) || !now.get().sameVersionAs(store.head(key).orElse(null))) {
            return Optional.empty();
        }
        return now;
    }

    /** The SHA-256 of {@code source}'s bytes, or null when it is not at that version before and after the read. */
    static byte[] sha256AtVersion(ObjectStorage store, StoredObject source) {
        if (!source.sameVersionAs(store.head(source.key()).orElse(null))) {
            return null;
        }
        byte[] digest = sha256(store, source.key());
        return source.sameVersionAs(store.head(source.key()).orElse(null)) ? digest : null;
    }

    static byte[] sha256(byte[] bytes) {
        return digest().digest(bytes);
    }

    private static byte[] sha256(ObjectStorage store, String key) {
        MessageDigest digest = digest();
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = store.open(key)) {
            for (int n; (n = in.read(buffer)) != -1;) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new StorageException("cannot read '" + key + "' back to compare it with what we wrote", e);
        }
        return digest.digest();
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
