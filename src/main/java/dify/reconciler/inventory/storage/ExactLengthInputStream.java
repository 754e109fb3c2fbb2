package dify.reconciler.inventory.storage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Passes an object's bytes through and fails, instead of ending, when the stream ends before (or runs past)
 * the length the object was said to have. A download cut short by the network is otherwise indistinguishable
 * from a short object (the SDK's URL-connection client reports a cut body as a normal end), and a package read
 * short hashes as a checksum mismatch: a false critical finding, and for remediation a reason to act.
 */
public final class ExactLengthInputStream extends FilterInputStream {

    /** The stream's length differs from the expected one. */
    public static final class LengthMismatchException extends IOException {
        private static final long serialVersionUID = 1L;

        LengthMismatchException(String message) {
            super(message);
        }
    }

    private final long expected;
    private final String what;
    private long read;
    private long mark;

    /** @param what names the object in the error, e.g. {@code 'plugin/x' (HTTP Content-Length)} */
    public ExactLengthInputStream(InputStream in, long expected, String what) {
        super(in);
        this.expected = expected;
        this.what = what;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        count(b == -1 ? -1 : 1);
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        count(n);
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = super.skip(n);
        read += skipped;
        return skipped;
    }

    @Override
    public synchronized void mark(int readlimit) {
        super.mark(readlimit);
        mark = read;
    }

    @Override
    public synchronized void reset() throws IOException {
        super.reset();
        read = mark;
    }

    private void count(int n) throws LengthMismatchException {
        if (n == -1) {
            if (read != expected) {
                throw new LengthMismatchException(what + " ended after " + read + " of " + expected + " bytes");
            }
            return;
        }
        read += n;
        if (read > expected) {
            throw new LengthMismatchException(what + " has more than the " + expected + " bytes it was said to have");
        }
    }
}
