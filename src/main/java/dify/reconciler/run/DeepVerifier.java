package dify.reconciler.run;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.InvalidPackageException;
import dify.reconciler.catalog.PluginPackageInspector;
import dify.reconciler.detect.FindingSink;
import dify.reconciler.inventory.storage.CountingInputStream;
import dify.reconciler.inventory.storage.ExactLengthInputStream;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StorageException;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.state.VerifiedObject;
import dify.reconciler.state.VerifiedObjects;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Deep verification ({@code reconciler.deep-verify}): reads every package and installed copy, recomputes
 * its identifier as the daemon does (manifest + checksum over the zip entries) and compares it with the key,
 * and compares each installed copy's bytes with its package. One read per object: the content digest is
 * taken while the zip is inspected.
 *
 * <p>Incremental with a {@link VerifiedObjects} cache: an object listed at the version (size, entity tag,
 * last-modified) a verdict was reached for, less than {@code fullEvery} ago, is not read again; its verdict stands
 * (a cached mismatch is reported again). Anything else is read, and the cache is replaced by the verdicts of
 * this listing only, at most {@code maxEntries} (the most recent), once every object was judged. A cache that
 * cannot be read or written costs bytes, never a verdict: everything is read, and a note says why.
 */
final class DeepVerifier {

    private static final Logger LOG = Logger.getLogger(DeepVerifier.class);

    /** Keys named in the note on objects gone since they were listed; the note counts the rest. */
    static final int GONE_KEYS_SHOWN = 5;

    /** Whether and how cached verdicts are used: {@link #NONE} reads every object. */
    record Caching(VerifiedObjects cache, Instant now, Duration fullEvery, int maxEntries) {
        static final Caching NONE = new Caching(null, Instant.EPOCH, Duration.ZERO, 0);

        boolean on() {
            return cache != null && !fullEvery.isNegative() && !fullEvery.isZero() && maxEntries > 0;
        }
    }

    /** What a deep verify read: bytes downloaded, and objects whose cached verdict was used instead. */
    record Counts(long packageBytesRead, long packagesVerifiedFromCache) {
        static final Counts NONE = new Counts(0, 0);
    }

    private final ObjectStorage storage;
    private final FindingSink sink;
    private final Caching caching;
    /** The cached verdicts of the listing's current batch of keys; empty when caching is off or the cache unreadable. */
    private Map<String, VerifiedObject> cached = Map.of();
    /** The new cache, written as verdicts are reached; null when caching is off or the cache cannot be written. */
    private VerifiedObjects.CacheWriter kept;
    private long bytesRead;
    private long fromCache;
    /** Objects listed but gone when read, and the first {@link #GONE_KEYS_SHOWN} of their keys: one note says them all. */
    private long gone;
    private final List<String> goneKeys = new ArrayList<>();

    DeepVerifier(ObjectStorage storage, FindingSink sink) {
        this(storage, sink, Caching.NONE);
    }

    DeepVerifier(ObjectStorage storage, FindingSink sink, Caching caching) {
        this.storage = storage;
        this.sink = sink;
        this.caching = caching;
    }

    Counts counts() {
        return new Counts(bytesRead, fromCache);
    }

    void verify(String packagePrefix, List<StoredObject> packages, String installedPrefix, List<StoredObject> installed) {
        if (caching.on()) {
            try {
                kept = caching.cache().replace();
            } catch (RuntimeException e) {
                cacheNotWritten(e);
            }
        }
        try {
            Map<String, String> packageDigests = new HashMap<>();
            for (int i = 0; i < packages.size(); i++) {
                lookUpCache(packages, i);
                StoredObject o = packages.get(i);
                String uid = o.key().substring(packagePrefix.length());
                String digest = judge(o, uid);
                if (digest != null) {
                    packageDigests.put(uid, digest);
                }
            }
            for (int i = 0; i < installed.size(); i++) {
                lookUpCache(installed, i);
                StoredObject o = installed.get(i);
                String uid = o.key().substring(installedPrefix.length());
                String digest = judge(o, uid);
                String packageDigest = packageDigests.get(uid);
                if (digest != null && packageDigest != null && !digest.equals(packageDigest)) {
                    sink.add(Finding.object(FindingKind.INSTALLED_COPY_DIFFERS, o.key(), uid, o.version(),
                            "sha256 of installed copy is " + digest + " but " + packagePrefix + uid + " has " + packageDigest));
                }
            }
            cached = Map.of();
            noteGone();
            if (kept != null) {
                try {
                    kept.commit(caching.maxEntries());
                } catch (RuntimeException e) {
                    cacheNotWritten(e);
                }
            }
        } finally {
            cached = Map.of();
            if (kept != null) {
                kept.close();
            }
        }
    }

    /**
     * At the start of each batch of {@code listed}, the cached verdicts of its keys: one short statement per batch, so no
     * cursor or transaction of the cache stays open while the batch's objects are downloaded. A cache that cannot be
     * read costs bytes, not the scan.
     */
    private void lookUpCache(List<StoredObject> listed, int i) {
        if (i % VerifiedObjects.BATCH_SIZE != 0) {
            return;
        }
        cached = Map.of();
        if (!caching.on() || cacheUnreadable) {
            return;
        }
        List<String> keys = listed.subList(i, Math.min(listed.size(), i + VerifiedObjects.BATCH_SIZE)).stream()
                .map(StoredObject::key).toList();
        try {
            cached = caching.cache().lookUp(keys);
        } catch (RuntimeException e) {
            cacheNotRead(e);
        }
    }

    private boolean cacheUnreadable;

    private void cacheNotRead(RuntimeException e) {
        cached = Map.of();
        cacheUnreadable = true;
        LOG.warnf("deep verify cache not read, every object is read: %s", e.getMessage());
        sink.note("the deep verify cache could not be read (" + e.getMessage() + "): every object was read");
    }

    private void cacheNotWritten(RuntimeException e) {
        if (kept != null) {
            kept.close();
            kept = null;
        }
        LOG.warnf("deep verify cache not written, the next scan reads again what this one read: %s", e.getMessage());
        sink.note("the deep verify cache could not be written (" + e.getMessage() + "): the next scan reads these objects again");
    }

    /** The cached verdict when it still holds, else a read; returns the sha256, or null when not the package named. */
    private String judge(StoredObject o, String expectedUid) {
        VerifiedObject known = cached.get(o.key());
        if (known != null && known.sameVersion(o.size(), o.lastModified(), o.etag())
                && known.verifiedAt().isAfter(caching.now().minus(caching.fullEvery()))) {
            fromCache++;
            keep(known, false);
            if (!known.valid()) {
                sink.add(Finding.object(FindingKind.CHECKSUM_MISMATCH, o.key(), expectedUid, o.version(), known.mismatch()));
            }
            return known.sha256();
        }
        return inspect(o, expectedUid);
    }

    private void keep(VerifiedObject verdict, boolean fresh) {
        if (kept == null) {
            return;
        }
        try {
            kept.keep(verdict, fresh);
        } catch (RuntimeException e) {
            cacheNotWritten(e);
        }
    }

    private void remember(StoredObject o, String sha256, String mismatch) {
        if (caching.on()) {
            keep(new VerifiedObject(o.key(), o.size(), o.lastModified(), o.etag(), caching.now(), sha256, mismatch), true);
        }
    }

    /** Checks one object; returns the sha256 of its bytes, or null when it is not the package its key names. */
    private String inspect(StoredObject o, String expectedUid) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
        InputStream raw;
        try {
            raw = storage.open(o.key());
        } catch (StorageException e) {
            if (goneSinceListed(o, e)) {
                return null;
            }
            throw e;
        }
        CountingInputStream counted = null;
        try (InputStream in = new DigestInputStream(counted = new CountingInputStream(new ExactLengthInputStream(
                raw, o.size(), "'" + o.key() + "' (listed size)")), sha256)) {
            String actual = PluginPackageInspector.inspect(in).identifier();
            in.transferTo(OutputStream.nullOutputStream()); // the zip may end before the stream does
            if (!actual.equals(expectedUid)) {
                String detail = "key says " + expectedUid + " but the content computes to " + actual;
                sink.add(Finding.object(FindingKind.CHECKSUM_MISMATCH, o.key(), expectedUid, o.version(), detail));
                remember(o, null, detail);
                return null; // wrong content is already reported; comparing it with the package adds nothing
            }
            String digest = HexFormat.of().formatHex(sha256.digest());
            remember(o, digest, null);
            return digest;
        } catch (InvalidPackageException e) {
            if (e.problem() == InvalidPackageException.Problem.UNSUPPORTED) {
                // A zip feature the daemon's packager never writes (ZIP64, encryption): we cannot judge it.
                sink.packageUnverified();
                sink.note(o.key() + " was not verified: " + e.getMessage());
                return null;
            }
            String detail = "not a readable plugin package: " + e.getMessage();
            sink.add(Finding.object(FindingKind.CHECKSUM_MISMATCH, o.key(), expectedUid, o.version(), detail));
            remember(o, null, detail);
            return null;
        } catch (ExactLengthInputStream.LengthMismatchException e) {
            // Rewritten since it was listed (or its download cut short): judging these bytes could report a
            // mismatch that is not there. Counted as unverified; the next scan reads it again.
            sink.packageUnverified();
            sink.note(o.key() + " was not verified: " + e.getMessage());
            return null;
        } catch (IOException e) {
            throw new StorageException("reading " + o.key() + " failed: " + e.getMessage(), e);
        } finally {
            if (counted != null) {
                bytesRead += counted.count();
            }
        }
    }

    /**
     * Whether {@code o}, which could not be opened, is gone: a HEAD finds nothing. A listing is older than the read (an
     * inventory report by hours), so an object deleted since is not there, not a failed read: nothing to judge, and the
     * next listing shows it as it is. Any other answer (the object there, the HEAD failing) leaves the read failed.
     */
    private boolean goneSinceListed(StoredObject o, StorageException openFailure) {
        Optional<StoredObject> now;
        try {
            now = storage.head(o.key());
        } catch (StorageException e) {
            openFailure.addSuppressed(e);
            return false;
        }
        if (now.isPresent()) {
            return false;
        }
        LOG.debugf("deep verify: %s is gone since it was listed, not verified (%s)", o.key(), openFailure.getMessage());
        gone++;
        if (goneKeys.size() < GONE_KEYS_SHOWN) {
            goneKeys.add(o.key());
        }
        return true;
    }

    /**
     * One note for every object gone since it was listed, however many: a report hours old may list thousands deleted
     * since, and a note each would bury the others.
     */
    private void noteGone() {
        if (gone == 0) {
            return;
        }
        String shown = "'" + String.join("', '", goneKeys) + "'" + (gone > goneKeys.size() ? ", …" : "");
        LOG.infof("deep verify: %d object(s) gone since they were listed, not verified (%s)", gone, shown);
        sink.note(gone + " object(s) not verified, each gone since it was listed (a read found nothing, and so did a HEAD): "
                + shown + "; the next listing shows them as they are");
    }
}
