package dify.reconciler.inventory.storage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Rows in PostgreSQL's COPY text format (columns separated by tabs, one row per line), buffered up to a chunk
 * and handed to COPY without another copy of the bytes. Values are escaped, so a subject or evidence with a
 * tab, a line break or a backslash (an object key may hold any of them) arrives as it was. The one writer of COPY
 * text: the ledger's and deep verify cache's staging ({@code state}) and an inventory report's rows
 * ({@link S3InventoryListing}); here, the lowest package they all reach.
 */
public final class CopyChunk extends ByteArrayOutputStream {

    private final StringBuilder line = new StringBuilder(512);

    public CopyChunk(int capacity) {
        // Some room past the threshold: the row that crosses it is usually small.
        super(capacity + capacity / 4);
    }

    /** Appends one row; a null value is SQL NULL ({@code \N}). */
    public void row(String... values) {
        line.setLength(0);
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                line.append('\t');
            }
            if (values[i] == null) {
                line.append("\\N");
            } else {
                escape(values[i], line);
            }
        }
        line.append('\n');
        writeBytes(line.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void escape(String value, StringBuilder out) {
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(ch);
            }
        }
    }

    /** The buffered rows, read in place. */
    public InputStream asInput() {
        return new ByteArrayInputStream(buf, 0, count);
    }
}
