package dify.reconciler.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.remediate.RemediationService;
import dify.reconciler.remediate.record.RowQuarantine;
import dify.reconciler.run.ScanRunner;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jboss.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code quarantine list [--format json|text]}: quarantined items neither restored nor purged, oldest first. */
@Dependent
@Unremovable
@Command(name = "quarantine", synopsisHeading = "usage: ", customSynopsis = "quarantine list [--format json|text]", description = {
        "Show what is quarantined."})
public class QuarantineCommand {

    private static final Logger LOG = Logger.getLogger(QuarantineCommand.class);
    private static final int PAGE = 1000;

    @Mixin
    HelpOption help;

    @Inject
    RemediationService remediation;

    @Inject
    ObjectMapper mapper;

    @Command(name = "list", synopsisHeading = "usage: ", customSynopsis = "quarantine list [--format json|text]", description = {
            "Quarantined rows neither restored nor purged, oldest first. Exit 0 shown, 2 failed."})
    int list(@Mixin HelpOption listHelp,
            @Option(names = {"--format", "-f"}, paramLabel = "json|text", converter = Format.Converter.class, defaultValue = "text",
                    description = "text (default) or json.") Format format) {
        try {
            String unrecorded = remediation.whyNothingCanBeRecorded();
            if (unrecorded != null) {
                System.err.println("quarantine: " + unrecorded + ", so there is no quarantine");
                return ExitCode.FAILED;
            }
            RowQuarantine rows = remediation.rowQuarantine();
            List<RowQuarantine.Item> items = new ArrayList<>();
            for (int offset = 0;; offset += PAGE) {
                List<RowQuarantine.Item> page = rows.page(offset, PAGE);
                items.addAll(page);
                if (page.size() < PAGE) {
                    break;
                }
            }
            if (format == Format.JSON) {
                List<Map<String, String>> docs = new ArrayList<>();
                for (RowQuarantine.Item i : items) {
                    Map<String, String> d = new LinkedHashMap<>();
                    d.put("store", "rows");
                    d.put("actionId", i.actionId());
                    d.put("action", i.action());
                    d.put("table", i.table());
                    d.put("rowId", i.rowId());
                    d.put("quarantinedAt", i.quarantinedAt().toString());
                    docs.add(d);
                }
                System.out.print(Rendering.json(mapper, Map.of("items", docs)));
            } else {
                for (RowQuarantine.Item i : items) {
                    System.out.println("rows " + i.table() + "/" + i.rowId() + " (" + i.action() + ", action " + i.actionId()
                            + ") since " + i.quarantinedAt());
                }
                System.out.printf(Locale.ROOT, "Quarantined: %d row(s) not restored%n", items.size());
            }
            return ExitCode.CLEAN;
        } catch (Exception e) {
            LOG.error("quarantine list failed", e);
            System.err.println("quarantine list failed: " + ScanRunner.describe(e));
            return ExitCode.FAILED;
        }
    }
}
