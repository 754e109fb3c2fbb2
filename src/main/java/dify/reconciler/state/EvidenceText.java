package dify.reconciler.state;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.ObservedVersion;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Objects;

/**
 * Writes findings' compact evidence ({@link LedgerEvidence}'s rules) into one reusable buffer of characters, for
 * staging a million findings a scan without a builder, a string and a JSON library call per finding. The text is
 * exactly what {@link LedgerEvidence#encode} returns (it is made here): fields in the order table, id, key, bytes,
 * detail, observed; strings quoted as Jackson quotes them ({@code \"}, {@code \\}, {@code \b \t \n \f \r}, other
 * control characters as {@code \}{@code u00XX}, everything else as it is); instants as {@link Instant#toString}.
 * <p>
 * Not thread-safe: one per staging.
 */
final class EvidenceText {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    /** The first second of year 0 and of year 10000: in between, an instant is written here, else by the JDK. */
    private static final long YEAR_0 = -62167219200L;
    private static final long YEAR_10000 = 253402300800L;

    private char[] text = new char[256];
    private int length;
    private boolean firstField;

    /** The previous finding's evidence when it depended on its detail and observed version alone, else null. */
    private String lastDetail;
    private ObservedVersion lastObserved;
    private boolean lastIsDetailAndObserved;

    /** The day {@link #date} holds ("yyyy-MM-dd"), to write the date of many instants of one day once. */
    private long dateDay = Long.MIN_VALUE;
    private final char[] date = new char[10];

    /** The evidence's characters: {@code chars()[0, length())}. */
    char[] chars() {
        return text;
    }

    int length() {
        return length;
    }

    /** The evidence as a string. */
    @Override
    public String toString() {
        return new String(text, 0, length);
    }

    /**
     * Writes {@code f}'s compact evidence. False when it is the evidence just written (the buffer holds it already: the
     * same detail and observed version, and nothing else written), which a scan's findings of one kind often are.
     */
    boolean write(Finding f) {
        String table = f.table();
        String key = f.key();
        boolean slashInTable = table != null && table.indexOf('/') >= 0;
        // What the subject ({@link FindingIdentity}) spells is left out: row:<table>/<id>, object:<key>. A table
        // with a slash or a finding with both a row and a key is not spelt exactly, so its fields are written.
        boolean writeTable = slashInTable;
        boolean writeId = table != null ? slashInTable || f.id() == null || key != null : f.id() != null;
        boolean writeKey = table != null && key != null;
        ObservedVersion o = f.observed();
        boolean writeBytes = !Objects.equals(o == null ? null : o.size(), f.bytes());
        boolean detailAndObserved = !(writeTable || writeId || writeKey || writeBytes);
        if (detailAndObserved && lastIsDetailAndObserved && Objects.equals(o, lastObserved) && f.detail().equals(lastDetail)) {
            return false;
        }
        lastIsDetailAndObserved = detailAndObserved;
        lastDetail = f.detail();
        lastObserved = o;

        length = 0;
        firstField = true;
        append('{');
        if (writeTable) {
            field("table", table);
        }
        if (writeId) {
            field("id", f.id());
        }
        if (writeKey) {
            field("key", key);
        }
        if (writeBytes) {
            name("bytes");
            if (f.bytes() == null) {
                append("null");
            } else {
                append(f.bytes());
            }
        }
        field("detail", f.detail());
        if (o != null) {
            name("observed");
            append('{');
            firstField = true;
            if (o.changedAt() != null) {
                name("changedAt");
                instant(o.changedAt());
            }
            if (o.size() != null) {
                name("size");
                append(o.size());
            }
            if (o.lastModified() != null) {
                name("lastModified");
                instant(o.lastModified());
            }
            if (o.etag() != null) {
                field("etag", o.etag());
            }
            append('}');
        }
        append('}');
        return true;
    }

    private void name(String name) {
        room(name.length() + 4);
        if (!firstField) {
            text[length++] = ',';
        }
        firstField = false;
        text[length++] = '"';
        name.getChars(0, name.length(), text, length);
        length += name.length();
        text[length++] = '"';
        text[length++] = ':';
    }

    private void field(String name, String value) {
        name(name);
        if (value == null) {
            append("null");
            return;
        }
        int n = value.length();
        room(6 * n + 2);
        text[length++] = '"';
        value.getChars(0, n, text, length);
        int end = length + n;
        for (int i = length; i < end; i++) {
            char ch = text[i];
            if (ch < 0x20 || ch == '"' || ch == '\\') {
                // The rest again from the string, escaped (the buffer's copy is overwritten as it goes).
                length = i;
                for (int j = i - (end - n); j < n; j++) {
                    quoted(value.charAt(j));
                }
                text[length++] = '"';
                return;
            }
        }
        length = end;
        text[length++] = '"';
    }

    /** One character of a JSON string, as Jackson's {@code JsonStringEncoder} quotes it. */
    private void quoted(char ch) {
        if (ch >= 0x20 && ch != '"' && ch != '\\') {
            text[length++] = ch;
            return;
        }
        text[length++] = '\\';
        switch (ch) {
            case '"', '\\' -> text[length++] = ch;
            case '\b' -> text[length++] = 'b';
            case '\t' -> text[length++] = 't';
            case '\n' -> text[length++] = 'n';
            case '\f' -> text[length++] = 'f';
            case '\r' -> text[length++] = 'r';
            default -> {
                text[length++] = 'u';
                text[length++] = '0';
                text[length++] = '0';
                text[length++] = HEX[ch >> 4];
                text[length++] = HEX[ch & 0xf];
            }
        }
    }

    /** An instant in quotes, as {@link Instant#toString} writes it. */
    private void instant(Instant at) {
        long seconds = at.getEpochSecond();
        if (seconds < YEAR_0 || seconds >= YEAR_10000) {
            append('"');
            append(at.toString());
            append('"');
            return;
        }
        long day = Math.floorDiv(seconds, 86_400);
        int second = Math.floorMod(seconds, 86_400);
        if (day != dateDay) {
            // Years 0 to 9999: four digits, no sign, as ISO_INSTANT writes them.
            LocalDate.ofEpochDay(day).toString().getChars(0, 10, date, 0);
            dateDay = day;
        }
        room(32);
        text[length++] = '"';
        System.arraycopy(date, 0, text, length, 10);
        length += 10;
        text[length++] = 'T';
        digits(second / 3600, 2);
        text[length++] = ':';
        digits(second / 60 % 60, 2);
        text[length++] = ':';
        digits(second % 60, 2);
        int nano = at.getNano();
        if (nano > 0) {
            text[length++] = '.';
            if (nano % 1_000_000 == 0) {
                digits(nano / 1_000_000, 3);
            } else if (nano % 1_000 == 0) {
                digits(nano / 1_000, 6);
            } else {
                digits(nano, 9);
            }
        }
        text[length++] = 'Z';
        text[length++] = '"';
    }

    /** {@code value} in exactly {@code count} decimal digits (room made by the caller). */
    private void digits(int value, int count) {
        for (int i = length + count - 1; i >= length; i--) {
            text[i] = (char) ('0' + value % 10);
            value /= 10;
        }
        length += count;
    }

    private void append(char ch) {
        room(1);
        text[length++] = ch;
    }

    private void append(String s) {
        room(s.length());
        s.getChars(0, s.length(), text, length);
        length += s.length();
    }

    private void append(long n) {
        append(Long.toString(n));
    }

    private void room(int chars) {
        if (chars > text.length - length) {
            text = Arrays.copyOf(text, Math.max(2 * text.length, length + chars));
        }
    }
}
