package dify.reconciler.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The leak search finds a secret however it is wrapped or encoded, and nothing in text without it. */
class SecretFormsTest {

    private static final String SECRET = "p@ss/w:rd+=%-9b2d";

    @Test
    void findsTheSecretRawUrlEncodedAndBase64InsideLongerStrings() {
        for (int before = 0; before < 6; before++) {
            String prefix = "user:".substring(0, Math.min(5, before)) + "x".repeat(Math.max(0, before - 5));
            for (Base64.Encoder encoder : List.of(Base64.getEncoder(), Base64.getUrlEncoder())) {
                String encoded = encoder.encodeToString((prefix + SECRET + "@host").getBytes(StandardCharsets.UTF_8));
                assertTrue(found("Authorization: Basic " + encoded), "base64 after '" + prefix + "': " + encoded);
            }
        }
        assertTrue(found("redis://:" + URLEncoder.encode(SECRET, StandardCharsets.UTF_8).toLowerCase() + "@127.0.0.1:6379"));
        assertTrue(found("password=" + SECRET + "&x"));
    }

    @Test
    void findsNothingWhereTheSecretIsNot() {
        assertEquals(List.of(), SecretForms.findIn("state: persisted; redis://127.0.0.1:6379/0 (with password) "
                + Base64.getEncoder().encodeToString("p@ss/w:rd+".getBytes(StandardCharsets.UTF_8)) + " p%40ss%2Fw", SECRET,
                List.of("default")));
    }

    private static boolean found(String text) {
        return !SecretForms.findIn(text, SECRET, List.of("default")).isEmpty();
    }
}
