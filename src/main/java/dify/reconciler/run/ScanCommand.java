package dify.reconciler.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.Severity;
import dify.reconciler.config.ReconcilerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.jboss.logging.Logger;

/**
 * {@code scan [--output FILE] [--format json|text] [--fail-on info|warning|critical]}: one scan, the report
 * written to FILE (or to stdout when no file is given), a readable summary on stdout (stderr when the report
 * itself goes to stdout), and an exit code a Job or CI step can trust. Standard output and error are this
 * command's interface (what a Job's log shows), which is why it prints instead of logging.
 */
@ApplicationScoped
public class ScanCommand {

    public static final int EXIT_CLEAN = 0;
    public static final int EXIT_DRIFT = 1;
    public static final int EXIT_FAILED = 2;

    private static final Logger LOG = Logger.getLogger(ScanCommand.class);

    @Inject
    ScanRunner runner;

    @Inject
    ReconcilerConfig config;

    @Inject
    ObjectMapper mapper;

    record Options(Path output, String format, Severity failOn) {
    }

    public int run(String... args) {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("scan: " + e.getMessage());
            System.err.println("usage: scan [--output FILE] [--format json|text] [--fail-on info|warning|critical]");
            return EXIT_FAILED;
        }
        ScanReport report = runner.scanIfIdle().orElseThrow(() -> new IllegalStateException("a scan is already running"));
        boolean reportOnStdout = options.output() == null;
        PrintStream summaryOut = reportOnStdout ? System.err : System.out;
        try {
            String rendered = "json".equals(options.format())
                    ? mapper.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(ReportDocument.of(report)) + "\n"
                    : summary(report, options) + "\n" + text(report);
            if (reportOnStdout) {
                System.out.print(rendered);
                System.out.flush();
                // PrintStream swallows write errors (a closed pipe, a full disk): a report nobody got is a failure.
                if (System.out.checkError()) {
                    throw new IOException("standard output refused the report");
                }
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
            return EXIT_FAILED;
        }
        boolean summaryAlreadyShown = reportOnStdout && "text".equals(options.format());
        if (!summaryAlreadyShown) {
            summaryOut.print(summary(report, options));
            summaryOut.flush();
            if (summaryOut == System.out && System.out.checkError()) {
                LOG.error("could not write the summary to standard output");
                return EXIT_FAILED;
            }
        }
        return exitCode(report, options.failOn());
    }

    static int exitCode(ScanReport report, Severity failOn) {
        if (!report.succeeded()) {
            return EXIT_FAILED;
        }
        return report.countAtLeast(failOn) > 0 ? EXIT_DRIFT : EXIT_CLEAN;
    }

    Options parse(String... args) {
        Path output = null;
        String format = "json";
        Severity failOn = config.failOn();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                value = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            switch (arg) {
                case "--output", "-o" -> output = Path.of(value != null ? value : next(args, ++i, arg));
                case "--format", "-f" -> {
                    format = (value != null ? value : next(args, ++i, arg)).toLowerCase(Locale.ROOT);
                    if (!format.equals("json") && !format.equals("text")) {
                        throw new IllegalArgumentException("--format must be json or text, not '" + format + "'");
                    }
                }
                case "--fail-on" -> failOn = Severity.parse(value != null ? value : next(args, ++i, arg));
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
            }
        }
        return new Options(output, format, failOn);
    }

    private static String next(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    static String summary(ScanReport r, Options options) {
        StringBuilder sb = new StringBuilder();
        if (!r.succeeded()) {
            sb.append("SCAN FAILED in phase ").append(r.failedPhase()).append(": ").append(r.error()).append('\n');
            sb.append("Nothing was verified; this is not a clean result. Exit code ").append(EXIT_FAILED).append(".\n");
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
        sb.append(code == EXIT_CLEAN
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
