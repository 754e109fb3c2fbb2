package dify.reconciler.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.FindingKind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written OpenAPI document names exactly the catalog's kinds (a new kind is easy to forget there). */
class OpenApiDocumentTest {

    @Test
    void listsEveryFindingKindOfTheCatalogInOrder() throws IOException {
        String yaml;
        try (InputStream in = getClass().getResourceAsStream("/META-INF/openapi.yaml")) {
            yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher m = Pattern.compile("\\n    Kind:\\n      type: string\\n      enum: \\[([^\\]]*)\\]").matcher(yaml);
        assertTrue(m.find(), "no Kind enum in openapi.yaml");
        List<String> documented = Arrays.stream(m.group(1).split(",")).map(String::trim).toList();
        assertEquals(Arrays.stream(FindingKind.values()).map(FindingKind::label).toList(), documented);
    }
}
