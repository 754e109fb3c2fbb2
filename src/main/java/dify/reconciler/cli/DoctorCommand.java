package dify.reconciler.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.doctor.Doctor;
import dify.reconciler.doctor.DoctorCheck;
import dify.reconciler.doctor.DoctorReport;
import dify.reconciler.doctor.DoctorStatus;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code doctor [--format text|json]}: checks every precondition of the configured mode (configuration, database
 * and grants, state, storage prefixes and, armed, write probes under the quarantine prefix, Redis, the leader lock,
 * clock skew) and prints one line per check with its fix. Exit 0 all ok, 1 a warning, 2 a failure (also when the
 * configuration does not even start: then the one line says why, see {@link #startupFailure}).
 */
@Dependent
@Unremovable
@Command(name = "doctor", synopsisHeading = "usage: ", customSynopsis = "doctor [--format text|json]", description = {
        "Check every precondition of the configured mode (report or armed), each with its fix. Exit 0 all ok, 1 warnings,"
                + " 2 failures."})
public class DoctorCommand implements Callable<Integer> {

    @Mixin
    HelpOption help;

    @Option(names = {"--format", "-f"}, paramLabel = "text|json", converter = Format.Converter.class, description = "text"
            + " (default): one line per check and its fix; json: {\"checks\": [{name, status, detail, fix}]}, as GET /api/v1/doctor.")
    Format format = Format.TEXT;

    @Inject
    Doctor doctor;

    @Inject
    ObjectMapper mapper;

    @Override
    public Integer call() throws IOException {
        DoctorReport report = doctor.run();
        Rendering.toStdout(format == Format.JSON ? Rendering.json(mapper, report) : report.text(), "doctor's answer");
        return exitCode(report);
    }

    static int exitCode(DoctorReport report) {
        return switch (report.worst()) {
            case OK -> ExitCode.CLEAN;
            case WARN -> ExitCode.DRIFT;
            case FAIL -> ExitCode.FAILED;
        };
    }

    /**
     * A configuration that does not start is the doctor's first failure, not a crash: the one {@code configuration}
     * line, in the requested format, on stdout ({@code reason} is already redacted).
     */
    static String startupFailure(String[] args, String reason) {
        DoctorReport report = new DoctorReport(List.of(DoctorCheck.fail("configuration", "invalid: " + reason,
                "fix the setting named above (docs/configuration.md), then run doctor again")));
        boolean json = false;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equalsIgnoreCase("--format=json") || a.equalsIgnoreCase("-f=json")
                    || (a.equals("--format") || a.equals("-f")) && i + 1 < args.length && args[i + 1].equalsIgnoreCase("json")) {
                json = true;
            }
        }
        if (!json) {
            return report.text();
        }
        DoctorCheck c = report.checks().get(0);
        return "{\n  \"checks\" : [ {\n    \"name\" : \"configuration\",\n    \"status\" : \"" + DoctorStatus.FAIL.label()
                + "\",\n    \"detail\" : " + quote(c.detail()) + ",\n    \"fix\" : " + quote(c.fix()) + "\n  } ]\n}\n";
    }

    private static String quote(String s) {
        try {
            return new ObjectMapper().writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
