package dify.reconciler.testsupport;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Finds a secret in text in the forms a leak takes: raw, URL-encoded (a password in a {@code redis://} or JDBC URL),
 * base64 (standard and URL alphabets) at each of the three alignments a secret can have inside a longer encoded
 * string, and base64 of {@code user:secret} (HTTP Basic). For the alignments, only the characters that depend on the
 * secret alone are searched for: whatever comes before and after it changes the edge characters.
 */
public final class SecretForms {

    /** Shorter forms could match by chance. */
    private static final int MIN_LENGTH = 8;

    private SecretForms() {
    }

    /** Each form of {@code secret} found in {@code text}: its name and where (the match masked). Empty when none. */
    public static List<String> findIn(String text, String secret, List<String> users) {
        List<String> found = new ArrayList<>();
        String lower = text.toLowerCase(Locale.ROOT);
        forms(secret, users).forEach((name, form) -> {
            // URL encodings may spell their hex digits in either case; base64 and the raw secret are exact.
            boolean anyCase = name.startsWith("url-encoded");
            int at = anyCase ? lower.indexOf(form.toLowerCase(Locale.ROOT)) : text.indexOf(form);
            if (at >= 0) {
                found.add(name + ": …" + text.substring(Math.max(0, at - 200), at) + "<" + name + ">"
                        + text.substring(at + form.length(), Math.min(text.length(), at + form.length() + 50)) + "…");
            }
        });
        return found;
    }

    /** The forms searched for, by name. */
    static Map<String, String> forms(String secret, List<String> users) {
        Map<String, String> forms = new LinkedHashMap<>();
        forms.put("raw", secret);
        String url = URLEncoder.encode(secret, StandardCharsets.UTF_8);
        forms.put("url-encoded", url);
        forms.put("url-encoded (%20 for space)", url.replace("+", "%20"));
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        for (int offset = 0; offset < 3; offset++) {
            forms.put("base64 at offset " + offset, aligned(Base64.getEncoder(), bytes, offset));
            forms.put("base64url at offset " + offset, aligned(Base64.getUrlEncoder(), bytes, offset));
        }
        for (String user : users) {
            forms.put("base64 of '" + user + ":<secret>'",
                    Base64.getEncoder().encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8)));
        }
        forms.values().removeIf(f -> f.length() < MIN_LENGTH);
        return forms;
    }

    /**
     * The base64 characters of {@code secret} preceded by {@code offset} other bytes that depend on the secret's
     * bytes only: character i covers bits [6i, 6i + 6) of the encoded bytes.
     */
    static String aligned(Base64.Encoder encoder, byte[] secret, int offset) {
        byte[] shifted = new byte[offset + secret.length];
        System.arraycopy(secret, 0, shifted, offset, secret.length);
        String encoded = encoder.withoutPadding().encodeToString(shifted);
        int first = (8 * offset + 5) / 6;
        int end = 8 * (offset + secret.length) / 6;
        return encoded.substring(first, end);
    }
}
