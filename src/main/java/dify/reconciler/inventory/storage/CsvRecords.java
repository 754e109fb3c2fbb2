package dify.reconciler.inventory.storage;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 4180 records from a reader: fields separated by commas, each may be quoted ({@code "…"}, a quote inside doubled),
 * and a quoted field may hold commas and line breaks; a record ends at a line break ({@code \n} or {@code \r\n}) outside
 * quotes. Azure and GCS write object names as they are, so a name with a comma or a line break arrives quoted, over more
 * than one line of text. Pure; malformed text throws {@link StorageException} naming the record.
 */
final class CsvRecords {

    private final Reader in;
    private final String source;
    private final StringBuilder field = new StringBuilder(256);
    private long number;
    private int pushedBack = -2;

    /** @param source the data file, for messages; {@code in} should be buffered */
    CsvRecords(Reader in, String source) {
        this.in = in;
        this.source = source;
    }

    /** The number of the record last returned, from 1. */
    long number() {
        return number;
    }

    /** The next record's fields, or null at the end; a blank line is a record of one empty field. */
    List<String> next() throws IOException {
        int c = read();
        if (c < 0) {
            return null;
        }
        number++;
        List<String> fields = new ArrayList<>();
        while (true) {
            field.setLength(0);
            if (c == '"') {
                while (true) {
                    c = read();
                    if (c < 0) {
                        throw malformed("an unterminated quoted field");
                    }
                    if (c == '"') {
                        c = read();
                        if (c != '"') {
                            break;
                        }
                    }
                    field.append((char) c);
                }
                if (c >= 0 && c != ',' && c != '\n' && c != '\r') {
                    throw malformed("text after a quoted field");
                }
            } else {
                while (c >= 0 && c != ',' && c != '\n' && c != '\r') {
                    field.append((char) c);
                    c = read();
                }
            }
            fields.add(field.toString());
            if (c == ',') {
                c = read();
                continue;
            }
            if (c == '\r') {
                int n = read();
                if (n != '\n' && n >= 0) {
                    pushedBack = n;
                }
            }
            return fields;
        }
    }

    private int read() throws IOException {
        if (pushedBack != -2) {
            int c = pushedBack;
            pushedBack = -2;
            return c;
        }
        return in.read();
    }

    private StorageException malformed(String what) {
        return new StorageException("data file " + source + " record " + number + " has " + what);
    }
}
