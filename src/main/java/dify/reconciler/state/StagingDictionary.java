package dify.reconciler.state;

import java.util.Arrays;

/**
 * The strings a scan has staged as numbers (V14): the first {@value #MAX_ENTRIES} distinct values (and at most
 * {@value #MAX_CHARS} characters of them) get codes 1, 2, ...; every later occurrence of one of them is staged as its
 * code, and the merge binds the whole dictionary once. A value that finds no room is staged as text. Memory stays
 * bounded whatever the number of findings: at most this many strings, each the size of one finding's value.
 * <p>
 * A value is looked up either as a string or as characters in a caller's buffer (the evidence, which
 * {@link EvidenceText} writes into one): the same value finds the same code either way. The table is a fixed array
 * probed in line, twice the size of the most entries it holds, so a lookup is the value's hash and at most a compare or
 * two, and the buffer's characters need no string of their own unless they are added.
 */
final class StagingDictionary {

    static final int MAX_ENTRIES = 4096;
    static final int MAX_CHARS = 1 << 20;

    private static final int SLOTS = 2 * MAX_ENTRIES;
    private static final int SLOT_BITS = Integer.numberOfTrailingZeros(SLOTS);

    /** Per slot: the value (a String or a char[] of exactly its characters), null when free. */
    private final Object[] keys = new Object[SLOTS];
    private final int[] hashes = new int[SLOTS];
    private final int[] codes = new int[SLOTS];
    /** The values by code - 1, as added. */
    private final Object[] values = new Object[MAX_ENTRIES];
    private int size;
    private long chars;

    /** The value's code, assigned now if there is room; 0 when the value has to be staged as text (or is null). */
    int code(String value) {
        if (value == null) {
            return 0;
        }
        int hash = value.hashCode();
        int slot = slot(hash);
        for (Object key; (key = keys[slot]) != null; slot = slot + 1 & SLOTS - 1) {
            if (hashes[slot] == hash && (key instanceof String s ? s.equals(value) : same((char[]) key, value))) {
                return codes[slot];
            }
        }
        return add(slot, hash, value, value.length());
    }

    /**
     * The code of the value {@code chars[0, length)} whose {@link String#hashCode} is {@code hash}, as {@link #code(String)}.
     */
    int code(char[] chars, int length, int hash) {
        int slot = slot(hash);
        for (Object key; (key = keys[slot]) != null; slot = slot + 1 & SLOTS - 1) {
            if (hashes[slot] == hash
                    && (key instanceof char[] k ? Arrays.equals(k, 0, k.length, chars, 0, length) : same(chars, length, (String) key))) {
                return codes[slot];
            }
        }
        if (!fits(length)) {
            return 0;
        }
        return add(slot, hash, Arrays.copyOf(chars, length), length);
    }

    /**
     * A hash's first slot: its bits mixed (Fibonacci hashing), since strings that differ in their last character have
     * consecutive hashes, and consecutive slots make one long run to probe through.
     */
    private static int slot(int hash) {
        return hash * 0x9E3779B9 >>> 32 - SLOT_BITS;
    }

    /** The hash {@link String#hashCode} gives the characters {@code chars[0, length)}. */
    static int hash(char[] chars, int length) {
        int h = 0;
        for (int i = 0; i < length; i++) {
            h = 31 * h + chars[i];
        }
        return h;
    }

    /** The values by code (the value of code c at index c - 1), as the merge binds them. */
    String[] values() {
        String[] strings = new String[size];
        for (int i = 0; i < size; i++) {
            strings[i] = values[i] instanceof String s ? s : new String((char[]) values[i]);
        }
        return strings;
    }

    private boolean fits(int length) {
        return size < MAX_ENTRIES && chars + length <= MAX_CHARS;
    }

    private int add(int slot, int hash, Object value, int length) {
        if (!fits(length)) {
            return 0;
        }
        keys[slot] = value;
        hashes[slot] = hash;
        values[size++] = value;
        chars += length;
        codes[slot] = size;
        return size;
    }

    private static boolean same(char[] key, String value) {
        return same(key, key.length, value);
    }

    private static boolean same(char[] chars, int length, String value) {
        if (value.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (chars[i] != value.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
