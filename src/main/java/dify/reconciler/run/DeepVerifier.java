package dify.reconciler.run;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.InvalidPackageException;
import dify.reconciler.catalog.PluginPackageInspector;
import dify.reconciler.detect.FindingSink;
import dify.reconciler.inventory.storage.ExactLengthInputStream;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StorageException;
import dify.reconciler.inventory.storage.StoredObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Deep verification ({@code reconciler.deep-verify}): reads every package and installed copy, recomputes
 * its identifier as the daemon does (manifest + checksum over the zip entries) and compares it with the key,
 * and compares each installed copy's bytes with its package. One read per object: the content digest is
 * taken while the zip is inspected.
 */
final class DeepVerifier {

    private final ObjectStorage storage;
    private final FindingSink sink;

    DeepVerifier(ObjectStorage storage, FindingSink sink) {
        this.storage = storage;
        this.sink = sink;
    }

    void verify(String packagePrefix, List<StoredObject> packages, String installedPrefix, List<StoredObject> installed) {
        Map<String, String> packageDigests = new HashMap<>();
        for (StoredObject o : packages) {
            String uid = o.key().substring(packagePrefix.length());
            String digest = inspect(o, uid);
            if (digest != null) {
                packageDigests.put(uid, digest);
            }
        }
        for (StoredObject o : installed) {
            String uid = o.key().substring(installedPrefix.length());
            String digest = inspect(o, uid);
            String packageDigest = packageDigests.get(uid);
            if (digest != null && packageDigest != null && !digest.equals(packageDigest)) {
                sink.add(Finding.object(FindingKind.INSTALLED_COPY_DIFFERS, o.key(), uid, o.version(),
                        "sha256 of installed copy is " + digest + " but " + packagePrefix + uid + " has " + packageDigest));
            }
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
        try (InputStream in = new DigestInputStream(new ExactLengthInputStream(storage.open(o.key()), o.size(),
                "'" + o.key() + "' (listed size)"), sha256)) {
            String actual = PluginPackageInspector.inspect(in).identifier();
            in.transferTo(OutputStream.nullOutputStream()); // the zip may end before the stream does
            if (!actual.equals(expectedUid)) {
                sink.add(Finding.object(FindingKind.CHECKSUM_MISMATCH, o.key(), expectedUid, o.version(),
                        "key says " + expectedUid + " but the content computes to " + actual));
                return null; // wrong content is already reported; comparing it with the package adds nothing
            }
            return HexFormat.of().formatHex(sha256.digest());
        } catch (InvalidPackageException e) {
            if (e.problem() == InvalidPackageException.Problem.UNSUPPORTED) {
                // A zip feature the daemon's packager never writes (ZIP64, encryption): we cannot judge it.
                sink.packageUnverified();
                sink.note(o.key() + " was not verified: " + e.getMessage());
                return null;
            }
            sink.add(Finding.object(FindingKind.CHECKSUM_MISMATCH, o.key(), expectedUid, o.version(),
                    "not a readable plugin package: " + e.getMessage()));
            return null;
        } catch (ExactLengthInputStream.LengthMismatchException e) {
            // Rewritten since it was listed (or its download cut short): judging these bytes could report a
            // mismatch that is not there. Counted as unverified; the next scan reads it again.
            sink.packageUnverified();
            sink.note(o.key() + " was not verified: " + e.getMessage());
            return null;
        } catch (IOException e) {
            throw new StorageException("reading " + o.key() + " failed: " + e.getMessage(), e);
        }
    }
}
