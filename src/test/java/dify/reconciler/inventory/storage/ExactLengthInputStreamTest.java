package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class ExactLengthInputStreamTest {

    private static final byte[] TEN = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};

    @Test
    void passesAStreamOfTheExpectedLength() throws IOException {
        try (InputStream in = new ExactLengthInputStream(new ByteArrayInputStream(TEN), 10, "x")) {
            assertArrayEquals(TEN, in.readAllBytes());
        }
    }

    @Test
    void failsAStreamThatEndsEarlyInsteadOfEnding() {
        IOException e = assertThrows(ExactLengthInputStream.LengthMismatchException.class,
                () -> new ExactLengthInputStream(new ByteArrayInputStream(TEN), 11, "'k'").readAllBytes());
        assertTrue(e.getMessage().contains("'k' ended after 10 of 11 bytes"), e.getMessage());
        assertThrows(ExactLengthInputStream.LengthMismatchException.class, () -> {
            InputStream in = new ExactLengthInputStream(new ByteArrayInputStream(TEN), 11, "'k'");
            while (in.read() != -1) {
                // byte by byte
            }
        });
    }

    @Test
    void failsAStreamThatRunsPastTheExpectedLength() {
        assertThrows(ExactLengthInputStream.LengthMismatchException.class,
                () -> new ExactLengthInputStream(new ByteArrayInputStream(TEN), 9, "'k'").readAllBytes());
    }
}
