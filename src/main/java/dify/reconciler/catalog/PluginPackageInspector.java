package dify.reconciler.catalog;

import dify.reconciler.catalog.InvalidPackageException.Problem;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a {@code .difypkg} once and tells what the daemon would call it: checksum and manifest fields come
 * from the same pass over the stream, so a package object is verified against its key with a single download.
 */
public final class PluginPackageInspector {

    private PluginPackageInspector() {
    }

    /**
     * Inspects the package read from {@code zip} (read to its end, not closed).
     *
     * @throws InvalidPackageException when the package is unreadable: not a zip, truncated or corrupt, holds an
     *     entry the daemon cannot hash, has no {@code manifest.yaml}, or its manifest lacks name or version
     * @throws IOException when reading {@code zip} itself fails (a storage problem, not a package problem)
     */
    public static PackageIdentity inspect(InputStream zip) throws InvalidPackageException, IOException {
        PackageChecksum.Scan scan = PackageChecksum.scan(zip, true);
        if (scan.manifest() == null) {
            throw new InvalidPackageException(Problem.NO_MANIFEST, "package has no manifest.yaml at its root");
        }
        PackageManifest manifest = PackageManifest.parse(scan.manifest());
        if (manifest.name() == null || manifest.name().isEmpty()) {
            throw new InvalidPackageException(Problem.BAD_MANIFEST, "manifest.yaml has no name");
        }
        if (manifest.version() == null || manifest.version().isEmpty()) {
            throw new InvalidPackageException(Problem.BAD_MANIFEST, "manifest.yaml has no version");
        }
        String author = manifest.author() == null || manifest.author().isEmpty() ? null : manifest.author();
        return new PackageIdentity(author, manifest.name(), manifest.version(), scan.checksum());
    }
}
