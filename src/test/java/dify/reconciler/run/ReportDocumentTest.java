package dify.reconciler.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ReportDocumentTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UID = "langgenius/openai:0.0.19@6b2b2e115b1b9d34a63eb26fadcc33d74330fd2ec06071bb30b8a24b1fab107a";
    private static final Instant CHANGED = Instant.parse("2026-01-02T03:04:05.123456Z");

    private static JsonNode observedOf(Finding f) throws JsonProcessingException {
        return JSON.readTree(JSON.writeValueAsString(ReportDocument.FindingDocument.of(f, null))).get("observed");
    }

    @Test
    void showsARowsChangeTimeAndOmitsTheObjectFacts() throws JsonProcessingException {
        Finding f = Finding.row(FindingKind.PACKAGE_MISSING, "plugin_declarations", "d1", UID, "langgenius/openai", null,
                ObservedVersion.row(CHANGED), "no package");
        assertEquals(JSON.readTree("{\"changedAt\":\"2026-01-02T03:04:05.123456Z\"}"), observedOf(f));
    }

    @Test
    void showsAnObjectsSizeLastModifiedAndEtag() throws JsonProcessingException {
        Finding f = Finding.object(FindingKind.PACKAGE_ORPHANED, "plugin_packages/" + UID, UID,
                ObservedVersion.object(42, CHANGED, "\"9b2c\""), "no declaration");
        assertEquals(JSON.readTree("{\"size\":42,\"lastModified\":\"2026-01-02T03:04:05.123456Z\",\"etag\":\"\\\"9b2c\\\"\"}"),
                observedOf(f));
    }

    @Test
    void omitsTheEtagOfALocalObjectAndShowsNullWhenNoSingleVersionWasSeen() throws JsonProcessingException {
        Finding local = Finding.object(FindingKind.PACKAGE_ORPHANED, "plugin_packages/" + UID, UID,
                ObservedVersion.object(0, CHANGED, null), "no declaration");
        assertEquals(JSON.readTree("{\"size\":0,\"lastModified\":\"2026-01-02T03:04:05.123456Z\"}"), observedOf(local));

        Finding duplicates = new Finding(FindingKind.DUPLICATE_ROWS, "plugins", "p1", null, UID, "langgenius/openai", null,
                null, "2 rows share it", null);
        assertEquals(JSON.nullNode(), observedOf(duplicates));
    }
}
