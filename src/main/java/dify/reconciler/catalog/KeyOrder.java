package dify.reconciler.catalog;

import java.util.Comparator;

/**
 * The one order every sorted stream in this service uses: Unicode code points, which is UTF-8 byte order,
 * the order S3 ListObjectsV2 returns and PostgreSQL's {@code COLLATE "C"} on a UTF-8 database.
 * {@link String#compareTo} differs above U+FFFF (it compares UTF-16 units), so it must not be used.
 */
public final class KeyOrder {

    public static final Comparator<String> COMPARATOR = KeyOrder::compare;

    private KeyOrder() {
    }

    public static int compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
