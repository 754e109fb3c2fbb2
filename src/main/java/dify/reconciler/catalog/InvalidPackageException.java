package dify.reconciler.catalog;

import java.util.Objects;

/**
 * A plugin package ({@code .difypkg}) that cannot be read the way the daemon reads it: not a zip, truncated,
 * corrupt, without a usable {@code manifest.yaml}, or holding something for which the daemon itself cannot
 * compute an identifier. The {@link #problem()} lets callers tell "the object is broken" from "we do not support
 * this zip feature" (the latter must not be reported as a checksum mismatch).
 */
public final class InvalidPackageException extends Exception {

    private static final long serialVersionUID = 1L;

    /** What kind of unreadable package this is. */
    public enum Problem {
        /** The bytes do not start like a zip archive. */
        NOT_A_ZIP,
        /** The stream ended before the archive did (missing data or central directory). */
        TRUNCATED,
        /** Zip structures disagree, a CRC or size does not match, or compressed data is broken. */
        CORRUPT,
        /** A zip feature this reader does not implement (ZIP64, encryption, unusual methods). */
        UNSUPPORTED,
        /** Readable, but the daemon could not compute a checksum for it (e.g. a directory entry). */
        REJECTED_BY_DAEMON,
        /** No {@code manifest.yaml} at the top of the archive. */
        NO_MANIFEST,
        /** {@code manifest.yaml} is present but lacks or garbles author, name or version. */
        BAD_MANIFEST
    }

    private final Problem problem;

    public InvalidPackageException(Problem problem, String message) {
        super(message);
        this.problem = Objects.requireNonNull(problem, "problem");
    }

    public InvalidPackageException(Problem problem, String message, Throwable cause) {
        super(message, cause);
        this.problem = Objects.requireNonNull(problem, "problem");
    }

    public Problem problem() {
        return problem;
    }
}
