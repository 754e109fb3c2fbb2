package dify.reconciler.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.remediate.record.ActionOutcome;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The hand-written OpenAPI document names exactly the catalog's kinds and the audit's outcomes, and every
 * endpoint of the API's resources with its methods (all easy to forget there).
 */
class OpenApiDocumentTest {

    private static final List<Class<?>> RESOURCES = List.of(ReportResource.class, FindingsResource.class, RunsResource.class,
            PlanResource.class, ActionsResource.class, RestoreResource.class, QuarantineResource.class, BreakerResource.class,
            ApprovalResource.class,
            SuspensionResource.class,
            OpenApiResource.class);

    @Test
    void documentsEveryEndpointAndMethod() throws IOException {
        String yaml = document();
        for (Class<?> resource : RESOURCES) {
            String base = resource.getAnnotation(Path.class).value();
            for (Method m : resource.getDeclaredMethods()) {
                String verb = m.isAnnotationPresent(GET.class) ? "get" : m.isAnnotationPresent(POST.class) ? "post" : null;
                if (verb == null) {
                    continue;
                }
                Path sub = m.getAnnotation(Path.class);
                String path = (base + (sub == null ? "" : sub.value())).replaceAll("\\{(\\w+):[^}]*}", "{$1}");
                int at = yaml.indexOf("\n  " + path + ":\n");
                assertTrue(at >= 0, path + " is not in openapi.yaml");
                int next = yaml.indexOf("\n  /", at + 1);
                String section = yaml.substring(at, next < 0 ? yaml.indexOf("\ncomponents:") : next);
                assertTrue(section.contains("\n    " + verb + ":\n"), verb + " " + path + " is not in openapi.yaml");
                if (m.isAnnotationPresent(MutatingEndpoint.class)) {
                    assertTrue(section.contains("security: [{bearer: []}]"), verb + " " + path + " does not say it needs the token");
                }
            }
        }
    }

    @Test
    void listsEveryAuditOutcome() throws IOException {
        Matcher m = Pattern.compile("\\n    Outcome:\\n      type: string\\n      enum: \\[([^\\]]*)\\]").matcher(document());
        assertTrue(m.find(), "no Outcome enum in openapi.yaml");
        assertEquals(Arrays.stream(ActionOutcome.values()).map(ActionOutcome::label).toList(),
                Arrays.stream(m.group(1).split(",")).map(String::trim).toList());
    }

    private String document() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/META-INF/openapi.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void listsEveryFindingKindOfTheCatalogInOrder() throws IOException {
        String yaml = document();
        Matcher m = Pattern.compile("\\n    Kind:\\n      type: string\\n      enum: \\[([^\\]]*)\\]").matcher(yaml);
        assertTrue(m.find(), "no Kind enum in openapi.yaml");
        List<String> documented = Arrays.stream(m.group(1).split(",")).map(String::trim).toList();
        assertEquals(Arrays.stream(FindingKind.values()).map(FindingKind::label).toList(), documented);
    }
}
