package dify.reconciler.inventory.storage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Rows in PostgreSQL's COPY text format (columns separated by tabs, one row per line), buffered up to a chunk
 * and handed to COPY without another copy of the bytes. Values are escaped, so a subject or evidence with a
 * tab, a line break or a backslash (an object key may hold any of them) arrives as it was. The one writer of COPY
 * text: the ledger's and deep verify cache's staging ({@code state}) and an inventory report's rows
 * ({@link S3InventoryListing}); here, the lowest package they all reach.
 * <p>
 * A row is either written at once ({@link #row}) or a column at a time ({@link #column}, {@link #text},
 * {@link #number}, {@link #nullColumn}, then {@link #endRow}), which lets a caller write a value from its parts or
 * from a buffer of its own without making a string of it. Values go straight into the chunk's bytes, as UTF-8: the
 * ledger stages a million findings per scan, and on the Deployment's C1 compiler every extra pass over a value's
 * characters (a line builder, its string, the string's bytes) cost about as much as the rest of the staging.
 */
public final class CopyChunk extends ByteArrayOutputStream {

    /** Whether the row being written has no column yet. */
    private boolean rowEmpty = true;

    public CopyChunk(int capacity) {
        // Some room past the threshold: the row that crosses it is usually small.
        super(capacity + capacity / 4);
    }

    /** Appends one row; a null value is SQL NULL ({@code \N}). */
    public void row(String... values) {
        for (String value : values) {
            if (value == null) {
                nullColumn();
            } else {
                column().text(value);
            }
        }
        endRow();
    }

    /** Starts the row's next column (empty until {@link #text} or {@link #number} appends to it). */
    public CopyChunk column() {
        if (rowEmpty) {
            rowEmpty = false;
        } else {
            room(1);
            buf[count++] = '\t';
        }
        return this;
    }

    /** A column that is SQL NULL. */
    public CopyChunk nullColumn() {
        column();
        room(2);
        buf[count++] = '\\';
        buf[count++] = 'N';
        return this;
    }

    /** Ends the row. */
    public void endRow() {
        room(1);
        buf[count++] = '\n';
        rowEmpty = true;
    }

    /** Appends a non-negative number to the current column, in decimal. */
    public CopyChunk number(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("not a non-negative number: " + n);
        }
        int digits = 1;
        for (int rest = n / 10; rest > 0; rest /= 10) {
            digits++;
        }
        room(digits);
        for (int i = count + digits - 1; i >= count; i--) {
            buf[i] = (byte) ('0' + n % 10);
            n /= 10;
        }
        count += digits;
        return this;
    }

    /** Appends a value to the current column, escaped. */
    public CopyChunk text(String value) {
        // The JDK's encoder makes the bytes in one pass (a copy, for a string of ASCII), and they need escaping only
        // where they are ASCII: every byte of a character past ASCII has its high bit set. A value's pair of surrogates
        // is never split (the separators and escapes are ASCII), so its bytes are those of the whole line's.
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        room(2 * utf8.length);
        byte[] b = buf;
        int n = count;
        int copied = 0;
        for (int i = 0; i < utf8.length; i++) {
            byte ch = utf8[i];
            if (ch == '\\' || ch == '\t' || ch == '\n' || ch == '\r') {
                System.arraycopy(utf8, copied, b, n, i - copied);
                n += i - copied;
                b[n++] = '\\';
                b[n++] = ch == '\\' ? (byte) '\\' : ch == '\t' ? (byte) 't' : ch == '\n' ? (byte) 'n' : (byte) 'r';
                copied = i + 1;
            }
        }
        System.arraycopy(utf8, copied, b, n, utf8.length - copied);
        count = n + utf8.length - copied;
        return this;
    }

    /**
     * Appends {@code chars[from, to)} to the current column, escaped, as UTF-8: the bytes {@code String.getBytes(UTF_8)}
     * makes of them (a surrogate without its pair becomes {@code ?}).
     */
    public CopyChunk text(char[] chars, int from, int to) {
        // At most three bytes a character: a pair of surrogates takes four for two, an escape two for one.
        room(3 * (to - from));
        byte[] b = buf;
        int n = count;
        for (int i = from; i < to; i++) {
            char ch = chars[i];
            if (ch >= 0x20 && ch < 0x80) {
                if (ch == '\\') {
                    b[n++] = '\\';
                }
                b[n++] = (byte) ch;
            } else if (ch < 0x20) {
                switch (ch) {
                    case '\t' -> {
                        b[n++] = '\\';
                        b[n++] = 't';
                    }
                    case '\n' -> {
                        b[n++] = '\\';
                        b[n++] = 'n';
                    }
                    case '\r' -> {
                        b[n++] = '\\';
                        b[n++] = 'r';
                    }
                    default -> b[n++] = (byte) ch;
                }
            } else if (ch < 0x800) {
                b[n++] = (byte) (0xc0 | ch >> 6);
                b[n++] = (byte) (0x80 | ch & 0x3f);
            } else if (!Character.isSurrogate(ch)) {
                b[n++] = (byte) (0xe0 | ch >> 12);
                b[n++] = (byte) (0x80 | ch >> 6 & 0x3f);
                b[n++] = (byte) (0x80 | ch & 0x3f);
            } else if (Character.isHighSurrogate(ch) && i + 1 < to && Character.isLowSurrogate(chars[i + 1])) {
                int cp = Character.toCodePoint(ch, chars[++i]);
                b[n++] = (byte) (0xf0 | cp >> 18);
                b[n++] = (byte) (0x80 | cp >> 12 & 0x3f);
                b[n++] = (byte) (0x80 | cp >> 6 & 0x3f);
                b[n++] = (byte) (0x80 | cp & 0x3f);
            } else {
                b[n++] = '?';
            }
        }
        count = n;
        return this;
    }

    @Override
    public void reset() {
        super.reset();
        rowEmpty = true;
    }

    /** The buffered rows, read in place. */
    public InputStream asInput() {
        return new ByteArrayInputStream(buf, 0, count);
    }

    private void room(int bytes) {
        if (bytes > buf.length - count) {
            buf = Arrays.copyOf(buf, Math.max(2 * buf.length, count + bytes));
        }
    }
}
