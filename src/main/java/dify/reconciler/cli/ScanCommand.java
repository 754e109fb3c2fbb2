package dify.reconciler.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.Severity;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.ReportDocument;
import dify.reconciler.run.ScanRunner;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jboss.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code scan [--output FILE] [--format json|text] [--fail-on info|warning|critical]}: one scan, the report
 * written to FILE (or to stdout when no file is given), a readable summary on stdout (stderr when the report
 * itself goes to stdout), and an exit code a Job or CI step can trust: 0 clean, 1 drift at or above
 * {@code --fail-on}, 2 the scan failed.
 */
@Dependent
@Unremovable
@Command(name = "scan", synopsisHeading = "usage: ",
        customSynopsis = "scan [--output FILE] [--format json|text] [--fail-on info|warning|critical]", description = {
                "One scan of the daemon's database and storage. Exit 0 clean, 1 drift at or above --fail-on, 2 the scan failed."})
public class ScanCommand implements Callable<Integer> {

    private static final Logger LOG = Logger.getLogger(ScanCommand.class);

    @Mixin
    HelpOption help;

    @Option(names = {"--output", "-o"}, paramLabel = "FILE", description = "Write the report to FILE (a summary goes to stdout). "
            + "Without it the report goes to stdout (and the summary to stderr for JSON).")
    Path output;

    @Option(names = {"--format", "-f"}, paramLabel = "json|text", converter = Format.Converter.class, description = "json (default):"
            + " findings, summary and what was scanned; text: the summary and one block per finding.")
    Format format = Format.JSON;

    @Option(names = "--fail-on", paramLabel = "info|warning|critical", converter = SeverityOption.class, description = "The lowest"
            + " severity that makes the exit code 1 (default: reconciler.fail-on).")
    Severity failOn;

    @Inject
    ScanRunner runner;

    @Inject
    ReconcilerConfig config;

    @Inject
    ObjectMapper mapper;

    /** What the summary and the exit code depend on besides the report. */
    record Options(Path output, Format format, Severity failOn) {
    }

    /** {@code --fail-on}'s value: a severity, in any case. */
    static final class SeverityOption implements ITypeConverter<Severity> {
        @Override
        public Severity convert(String value) {
            try {
                return Severity.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    @Override
    public Integer call() {
        Options options = new Options(output, format, failOn != null ? failOn : config.failOn());
        ScanReport report = runner.scanIfIdle().orElseThrow(() -> new IllegalStateException("a scan is already running"));
        boolean reportOnStdout = options.output() == null;
        PrintStream summaryOut = reportOnStdout ? System.err : System.out;
        try {
            String rendered = options.format() == Format.JSON
                    ? Rendering.json(mapper, ReportDocument.of(report))
                    : summary(report, options) + "\n" + text(report);
            if (reportOnStdout) {
                Rendering.toStdout(rendered, "report");
            } else {
                Path parent = options.output().toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.writeString(options.output(), rendered, StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            LOG.errorf(e, "could not write the report to %s", options.output());
            summaryOut.println("scan: could not write the report: " + e.getMessage());
            return ExitCode.FAILED;
        }
        boolean summaryAlreadyShown = reportOnStdout && options.format() == Format.TEXT;
        if (!summaryAlreadyShown) {
            summaryOut.print(summary(report, options));
            summaryOut.flush();
            if (summaryOut == System.out && System.out.checkError()) {
                LOG.error("could not write the summary to standard output");
                return ExitCode.FAILED;
            }
        }
        return exitCode(report, options.failOn());
    }

    static int exitCode(ScanReport report, Severity failOn) {
        if (!report.succeeded()) {
            return ExitCode.FAILED;
        }
        return report.countAtLeast(failOn) > 0 ? ExitCode.DRIFT : ExitCode.CLEAN;
    }

    static String summary(ScanReport r, Options options) {
        StringBuilder sb = new StringBuilder();
        if (!r.succeeded()) {
            sb.append("SCAN FAILED in phase ").append(r.failedPhase()).append(": ").append(r.error()).append('\n');
            sb.append("Nothing was verified; this is not a clean result. Exit code ").append(ExitCode.FAILED).append(".\n");
            return sb.toString();
        }
        ScanReport.Summary s = r.summary();
        sb.append(String.format(Locale.ROOT, "Scanned %s and %s in %.2fs%n", r.scope().database(), r.scope().storage(),
                r.duration().toNanos() / 1e9));
        sb.append("  rows: ").append(r.scope().rowsScanned()).append('\n');
        sb.append("  objects: ").append(r.scope().objectsListed()).append('\n');
        ScanReport.WorkingPathScope w = r.scope().workingPath();
        if (w != null) {
            sb.append(String.format(Locale.ROOT, "  working path %s on node %s: %d plugin folders (%d in grace, %d other entries"
                    + " not judged, %d environments partly outside it), %d bytes orphaned%n", w.path(), w.node(),
                    w.pluginFolders(), w.foldersInGrace(), w.unrecognizedEntries(), w.environmentsNotFollowed(),
                    w.orphanedBytes()));
        }
        sb.append(String.format(Locale.ROOT, "Findings: %d (critical %d, warning %d, info %d); left out as younger than %s:"
                + " %d rows, %d objects%n", s.total(), s.bySeverity().get(Severity.CRITICAL),
                s.bySeverity().get(Severity.WARNING), s.bySeverity().get(Severity.INFO), r.scope().gracePeriod(),
                s.rowsInGrace(), s.objectsInGrace()));
        for (FindingKind k : FindingKind.values()) {
            long n = s.byKind().getOrDefault(k, 0L);
            if (n > 0) {
                sb.append(String.format(Locale.ROOT, "  %-34s %-8s %d%n", k.label(), k.severity().label(), n));
            }
        }
        if (s.packagesUnverified() > 0) {
            sb.append("  packages deep verify could not check (ZIP64 or encrypted; neither clean nor drift): ")
                    .append(s.packagesUnverified()).append('\n');
        }
        for (String note : r.notes()) {
            sb.append("Note: ").append(note).append('\n');
        }
        if (options.output() != null) {
            sb.append("Report written to ").append(options.output()).append('\n');
        }
        int code = exitCode(r, options.failOn());
        sb.append(code == ExitCode.CLEAN
                ? "Result: clean (nothing at or above " + options.failOn().label() + ")"
                : "Result: drift found at or above " + options.failOn().label()).append(", exit code ").append(code).append('\n');
        return sb.toString();
    }

    static String text(ScanReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append("run ").append(r.runId()).append(' ').append(r.result().name().toLowerCase(Locale.ROOT)).append('\n');
        if (!r.succeeded()) {
            sb.append("error: ").append(r.error()).append('\n');
            return sb.toString();
        }
        for (Finding f : r.findings()) {
            sb.append(f.severity().label().toUpperCase(Locale.ROOT)).append(' ').append(f.kind().label());
            if (f.table() != null) {
                sb.append(" table=").append(f.table()).append(" id=").append(f.id());
            }
            if (f.key() != null) {
                sb.append(" key=").append(f.key());
            }
            if (f.tenantId() != null) {
                sb.append(" tenant=").append(f.tenantId());
            }
            if (f.pluginUniqueIdentifier() != null) {
                sb.append(" uid=").append(f.pluginUniqueIdentifier());
            }
            sb.append("\n    ").append(f.detail()).append('\n');
        }
        if (r.findingsTruncated()) {
            sb.append("(list cut at ").append(r.findings().size()).append(" findings; counts above are exact)\n");
        }
        return sb.toString();
    }
}
