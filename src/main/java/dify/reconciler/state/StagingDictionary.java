package dify.reconciler.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The strings a scan has staged as numbers (V14): the first {@value #MAX_ENTRIES} distinct values (and at most
 * {@value #MAX_CHARS} characters of them) get codes 1, 2, ...; every later occurrence of one of them is staged as its
 * code, and the merge binds the whole dictionary once. A value that finds no room is staged as text. Memory stays
 * bounded whatever the number of findings: at most this many strings, each the size of one finding's value.
 */
final class StagingDictionary {

    static final int MAX_ENTRIES = 4096;
    static final int MAX_CHARS = 1 << 20;

    private final Map<String, Integer> codes = new HashMap<>();
    private final List<String> values = new ArrayList<>();
    private long chars;

    /** The value's code, assigned now if there is room; null when the value has to be staged as text (or is null). */
    Integer code(String value) {
        if (value == null) {
            return null;
        }
        Integer code = codes.get(value);
        if (code == null && values.size() < MAX_ENTRIES && chars + value.length() <= MAX_CHARS) {
            values.add(value);
            chars += value.length();
            code = values.size();
            codes.put(value, code);
        }
        return code;
    }

    /** The values by code (the value of code c at index c - 1), as the merge binds them. */
    String[] values() {
        return values.toArray(String[]::new);
    }
}
