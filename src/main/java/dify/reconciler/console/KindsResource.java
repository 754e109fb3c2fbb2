package dify.reconciler.console;

import dify.reconciler.catalog.FindingKind;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Arrays;
import java.util.List;

/**
 * {@code GET /api/v1/kinds}: the catalog as the console shows it: each kind with its severity, what a Dify user sees
 * while it is present, and its runbook section ({@code docs/runbook.md#…}, and the link
 * {@code <reconciler.console.runbook-url>#…}).
 */
@Path("/api/v1/kinds")
@Produces(MediaType.APPLICATION_JSON)
public class KindsResource {

    /** One kind. */
    public record Kind(String kind, String severity, String userSees, String runbook, String runbookUrl) {
    }

    /** The catalog. */
    public record Kinds(List<Kind> kinds) {
    }

    @Inject
    ConsoleConfig config;

    @GET
    public Kinds kinds() {
        String base = config.runbookUrl().trim();
        return new Kinds(Arrays.stream(FindingKind.values()).map(k -> {
            KindGuide.Entry e = KindGuide.of(k);
            return new Kind(k.label(), k.severity().label(), e.userSees(), "docs/runbook.md#" + e.runbookAnchor(),
                    base + "#" + e.runbookAnchor());
        }).toList());
    }
}
