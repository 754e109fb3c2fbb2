package dify.reconciler.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jakarta.ws.rs.core.Response;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The actor of approve, suspend and resume: one parsing, one 400 that never echoes the value. */
class RequestActorTest {

    private static final Optional<String> TOKEN = Optional.of("s3cr3t-token-value");

    @Test
    void theHeaderWinsOverTheParameterAndNeitherMeansTheApi() {
        assertEquals("alice@example.org", RequestActor.fromRequest(" alice@example.org ", "bob", TOKEN));
        assertEquals("bob", RequestActor.fromRequest(" ", "bob", TOKEN));
        assertEquals("api", RequestActor.fromRequest(null, null, TOKEN));
    }

    @Test
    void aRefusedActorIsA400ThatDoesNotEchoIt() {
        for (String bad : new String[] {"Bearer abc", "x-s3cr3t-token-value", "a".repeat(65), "semi;colon"}) {
            ApiException e = assertThrows(ApiException.class, () -> RequestActor.fromRequest(bad, null, TOKEN), bad);
            Response r = e.toResponse();
            assertEquals(400, r.getStatus(), bad);
            assertFalse(e.getMessage().contains(bad), e.getMessage());
        }
        ApiException fromParameter = assertThrows(ApiException.class, () -> RequestActor.fromRequest(null, "semi;colon", TOKEN));
        assertEquals(400, fromParameter.toResponse().getStatus());
    }
}
