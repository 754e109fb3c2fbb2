package dify.reconciler.inventory.storage;

import java.time.Duration;

/**
 * How long a request to the bucket may take, so an S3 endpoint that accepts connections but never answers fails
 * the request (and the action or scan with it) instead of holding the process: without a limit on the whole call the
 * SDK would wait one read timeout per attempt, retries included, and a server that trickles bytes would never time out.
 *
 * @param connect {@code reconciler.s3.connect-timeout}: to open a TCP connection
 * @param read {@code reconciler.s3.read-timeout}: the longest silence while waiting for (part of) an answer
 * @param request {@code reconciler.s3.request-timeout}: one API call from start to answer, every retry included (the
 *        bytes of a streamed download are read after it and are bounded by {@code read} alone)
 */
public record S3Timeouts(Duration connect, Duration read, Duration request) {

    /** What {@code reconciler.s3.*} defaults to. */
    public static final S3Timeouts DEFAULTS = new S3Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMinutes(2));

    public S3Timeouts {
        requirePositive("reconciler.s3.connect-timeout", connect);
        requirePositive("reconciler.s3.read-timeout", read);
        requirePositive("reconciler.s3.request-timeout", request);
    }

    private static void requirePositive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, was " + d);
        }
    }
}
