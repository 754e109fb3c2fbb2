package dify.reconciler.catalog;

import java.util.Objects;

/**
 * What a package says about itself: author (may be null), name and version from {@code manifest.yaml}, and the
 * checksum computed from its entries. {@link #identifier()} is what the daemon would name it.
 */
public record PackageIdentity(String author, String name, String version, String checksum) {

    public PackageIdentity {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(checksum, "checksum");
    }

    /** {@code [author/]name:version@checksum}, exactly as the daemon builds it (not necessarily valid). */
    public String identifier() {
        return PluginIdentifier.of(author, name, version, checksum);
    }
}
