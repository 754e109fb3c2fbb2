package dify.reconciler.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Severity;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.IFactory;

/**
 * The command line every verb shares, in process and before start-up (as the launcher checks it: no database, no
 * Quarkus): a wrong command line is exit 2 with "VERB: what is wrong" and the verb's usage on stderr, nothing on
 * stdout; {@code --help} is exit 0 with the usage on stdout; a valid command line runs.
 */
class CliTest {

    private record Answer(int exit, String stdout, String stderr) {
        List<String> errorLines() {
            return stderr.lines().toList();
        }
    }

    private static Answer check(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Cli.check(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Answer(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** One row per verb and way of getting its command line wrong: the error line, then the verb's usage line. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "scan --bogus | scan: unknown option '--bogus' | \"usage: scan [--output FILE] [--format json|text] [--fail-on info|warning|critical]\"",
            "scan --format yaml | scan: Invalid value for option '--format': expected json or text, not 'yaml' | usage: scan [",
            "scan --fail-on loud | scan: Invalid value for option '--fail-on': unknown severity 'loud' (expected one of info, warning,"
                    + " critical) | usage: scan [",
            "scan --output | scan: Missing required parameter for option '--output' (FILE) | usage: scan [",
            "scan now | scan: unexpected argument 'now' | usage: scan [",
            "plan --format=yaml | plan: Invalid value for option '--format': expected json or text, not 'yaml' | \"usage: plan [--output"
                    + " FILE] [--format json|text]\"",
            "plan --fail-on warning | plan: unknown option '--fail-on' | usage: plan [",
            "apply | apply: Missing required option: '--plan=FILE' | usage: apply --plan FILE [--output FILE]",
            "apply --plan | apply: Missing required parameter for option '--plan' (FILE) | usage: apply --plan FILE",
            "apply --plan p.json --dry | apply: unknown option '--dry' | usage: apply --plan FILE",
            "restore | \"restore: Missing required argument (specify one of these): (--action=ID | --run=RUN_ID | --all)\" | \"usage: restore"
                    + " (--action ID | --run RUN_ID | --all)\"",
            "restore --all --run r1 | restore: --run=RUN_ID, --all are mutually exclusive (specify only one) | \"usage: restore (--action ID |\"",
            "recover now | recover: unexpected argument 'now' | usage: recover",
            "purge --all | purge: unknown option '--all' | usage: purge",
            "quarantine | quarantine: missing subcommand | usage: quarantine list [--format json|text]",
            "quarantine show | quarantine: unknown subcommand 'show' | usage: quarantine list",
            "quarantine list --format yaml | quarantine list: Invalid value for option '--format': expected json or text, not 'yaml' |"
                    + " \"usage: quarantine list [--format json|text]\"",
            "breaker | breaker: missing subcommand | \"usage: breaker status | breaker ack --reason TEXT\"",
            "breaker status --all | breaker status: unknown option '--all' | usage: breaker status",
            "doctor --format yaml | doctor: Invalid value for option '--format': expected json or text, not 'yaml' | \"usage: doctor"
                    + " [--format text|json]\"",
            "doctor now | doctor: unexpected argument 'now' | usage: doctor",
            "breaker ack | breaker ack: Missing required option: '--reason=TEXT' | usage: breaker ack --reason TEXT",
            "breaker ack --reason ' ' | breaker ack: Invalid value for option '--reason': a reason is required (why it is safe to act"
                    + " again) | usage: breaker ack --reason TEXT",
            "frobnicate | dify-plugin-reconciler: unknown command 'frobnicate' | usage: dify-plugin-reconciler"})
    void aWrongCommandLineIsExitTwoWithOneErrorLineAndTheUsage(String commandLine, String error, String usage) {
        Answer a = check(split(commandLine));
        assertEquals(ExitCode.FAILED, a.exit(), a::stderr);
        assertEquals("", a.stdout(), "a usage error prints nothing on stdout");
        assertEquals(error, a.errorLines().get(0), a::stderr);
        assertTrue(a.errorLines().get(1).startsWith(usage), a::stderr);
    }

    @Test
    void anUnknownCommandListsTheCommands() {
        Answer a = check("frobnicate", "--output", "x");
        assertEquals(ExitCode.FAILED, a.exit());
        assertEquals("commands: scan, plan, apply, restore, recover, purge, quarantine, breaker, doctor",
                a.errorLines().get(a.errorLines().size() - 1),
                a::stderr);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "scan --help | \"usage: scan [--output FILE] [--format json|text] [--fail-on info|warning|critical]\" | --fail-on",
            "plan -h | \"usage: plan [--output FILE] [--format json|text]\" | --output",
            "apply --help | usage: apply --plan FILE [--output FILE] | --plan",
            "restore --help | \"usage: restore (--action ID | --run RUN_ID | --all)\" | --run",
            "recover --help | usage: recover | Roll back or complete",
            "purge --help | usage: purge | retention",
            "quarantine --help | \"usage: quarantine list [--format json|text]\" | list",
            "quarantine list --help | \"usage: quarantine list [--format json|text]\" | --format",
            "breaker --help | \"usage: breaker status | breaker ack --reason TEXT\" | Show or acknowledge",
            "breaker ack --help | usage: breaker ack --reason TEXT | --reason",
            "doctor --help | \"usage: doctor [--format text|json]\" | Exit 0 all ok, 1 warnings, 2 failures",
            "--help | usage: dify-plugin-reconciler | quarantine"})
    void helpIsTheUsageOnStdoutAndExitZero(String commandLine, String usage, String mentions) {
        Answer a = check(split(commandLine));
        assertEquals(ExitCode.CLEAN, a.exit(), a::stderr);
        assertEquals("", a.stderr());
        assertTrue(a.stdout().startsWith(usage), a::stdout);
        assertTrue(a.stdout().contains(mentions), a::stdout);
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {"scan", "scan -o r.json --format=TEXT --fail-on CRITICAL", "plan --output p.json -f text",
            "apply --plan p.json -o results.json", "restore --action a1", "restore --run r1", "restore --all", "recover", "purge",
            "quarantine list", "quarantine list -f JSON", "breaker status", "breaker ack --reason checked",
            "breaker ack --reason=checked", "doctor", "doctor --format json", "doctor -f TEXT"})
    void aValidCommandLineRunsAndPrintsNothingBeforeStartUp(String commandLine) {
        Answer a = check(split(commandLine));
        assertEquals(Cli.RUN, a.exit(), a::stderr);
        assertEquals("", a.stdout() + a.stderr());
    }

    /** The options keep their meanings: short forms, any case, {@code --opt=value}, and a repeated option's last value. */
    @Test
    void optionsReachTheVerbAsBefore(@TempDir Path tmp) throws Exception {
        ScanCommand scan = parsed(ScanCommand.class, "scan", "-o", "r.json", "--format=TEXT", "--fail-on", "Critical");
        assertEquals(Path.of("r.json"), scan.output);
        assertEquals(Format.TEXT, scan.format);
        assertEquals(Severity.CRITICAL, scan.failOn);
        ScanCommand defaults = parsed(ScanCommand.class, "scan");
        assertEquals(Format.JSON, defaults.format);
        assertEquals(null, defaults.failOn, "no --fail-on: reconciler.fail-on decides when the scan runs");
        ApplyCommand apply = parsed(ApplyCommand.class, "apply", "--plan", "old.json", "--plan", "new.json");
        assertEquals(Path.of("new.json"), apply.planFile, "the last --plan wins, as before");
        RestoreCommand restore = parsed(RestoreCommand.class, "restore", "--run", "r1");
        assertEquals("r1", restore.which.run);
        assertEquals(null, restore.which.action);
        // "@file" is a file name, not a list of arguments to read from it (picocli would expand an existing one).
        Path arguments = Files.writeString(tmp.resolve("arguments"), "other.json\n");
        assertEquals(Path.of("@" + arguments), parsed(ApplyCommand.class, "apply", "--plan", "@" + arguments).planFile);
    }

    /** Parses {@code args} with the shared settings and returns the verb object picocli filled, without running it. */
    private static <T> T parsed(Class<T> verb, String... args) {
        List<Object> created = new ArrayList<>();
        IFactory recording = new IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                K made = CommandLine.defaultFactory().create(type);
                created.add(made);
                return made;
            }
        };
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(0, Cli.commandLine(recording, quiet, quiet, parsed -> 0).execute(args), String.join(" ", args));
        return verb.cast(created.stream().filter(verb::isInstance).findFirst().orElseThrow());
    }

    /** Splits on spaces; a single-quoted part is one argument (so a blank reason can be written). */
    private static String[] split(String commandLine) {
        List<String> args = new ArrayList<>();
        for (String part : commandLine.trim().split(" (?=(?:[^']*'[^']*')*[^']*$)")) {
            args.add(part.startsWith("'") && part.endsWith("'") && part.length() > 1 ? part.substring(1, part.length() - 1) : part);
        }
        return args.toArray(String[]::new);
    }

    /** The blank-reason row above really passes a blank argument. */
    @Test
    void theSplitterKeepsAQuotedBlank() {
        assertEquals(List.of("breaker", "ack", "--reason", " "), List.of(split("breaker ack --reason ' '")));
    }
}
