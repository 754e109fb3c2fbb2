package dify.reconciler.cli;

import dify.reconciler.run.ScanRunner;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jboss.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionStrategy;
import picocli.CommandLine.IFactory;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.RunLast;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The one-shot command line: one picocli command per verb, and the one place that decides how every verb reports a
 * wrong command line (its name and one line saying what is wrong, then its usage, on stderr, exit
 * {@value ExitCode#FAILED}), answers {@code --help} (usage and options on stdout, exit 0) and reports a failure that
 * escaped the verb (its name, "failed", the cause chain in one line, exit {@value ExitCode#FAILED}; the stack trace
 * goes to the log).
 *
 * <p>The launcher parses the command line twice: first before start-up ({@link #check}), so a wrong command line or
 * {@code --help} needs no database, bucket or valid configuration; then, started, with the verbs as CDI beans
 * ({@link CommandRunner}), to run it.
 */
public final class Cli {

    /** The name of the program in usage lines (the jar has no other name of its own). */
    static final String PROGRAM = "dify-plugin-reconciler";

    /** {@link #check}'s answer when the command line is valid and the command should run. */
    public static final int RUN = -1;

    private static final Logger LOG = Logger.getLogger(Cli.class);

    /** The verbs; the root only dispatches to them. */
    @Command(name = PROGRAM, synopsisHeading = "usage: ", customSynopsis = {
            "dify-plugin-reconciler                     (no command: the service)",
            "dify-plugin-reconciler COMMAND [OPTIONS]   (one-shot; 'COMMAND --help' shows its options)"},
            description = {
                    "Keeps the Dify plugin daemon's database and object storage consistent."},
            commandListHeading = "%nCommands:%n", subcommands = {
                    ScanCommand.class, PlanCommand.class, ApplyCommand.class, RestoreCommand.class, RecoverCommand.class,
                    PurgeCommand.class, QuarantineCommand.class, BreakerCommand.class, DoctorCommand.class})
    static final class Root {
        @CommandLine.Mixin
        HelpOption help;
    }

    private Cli() {
    }

    /**
     * Before start-up: parses {@code args} with plain (not yet injected) verbs. Returns {@link #RUN} when the command
     * line is valid, otherwise the exit code of what was printed instead (usage error: 2, {@code --help}: 0).
     */
    public static int check(String[] args, PrintStream out, PrintStream err) {
        return commandLine(CommandLine.defaultFactory(), out, err, parsed -> RUN).execute(args);
    }

    /** Runs the command {@code args} names, with verbs from {@code factory} (CDI beans in the application). */
    static int run(IFactory factory, String[] args, PrintStream out, PrintStream err) {
        return commandLine(factory, out, err, new RunLast()).execute(args);
    }

    /** The command line with the shared settings and handlers; {@code then} runs the parsed verb. */
    static CommandLine commandLine(IFactory factory, PrintStream out, PrintStream err, IExecutionStrategy then) {
        CommandLine cl = new CommandLine(new Root(), factory);
        cl.setOut(writer(out));
        cl.setErr(writer(err));
        // The commands' own parsers accepted none of these, and "@file" or a repeated option meant what it says.
        cl.setExpandAtFiles(false);
        cl.setOverwrittenOptionsAllowed(true);
        cl.setParameterExceptionHandler(Cli::usageError);
        cl.setExecutionExceptionHandler((e, command, parsed) -> failed(e, command));
        cl.setExecutionStrategy(parsed -> {
            Integer help = CommandLine.executeHelpRequest(parsed);
            if (help != null) {
                return help;
            }
            requireVerb(parsed);
            return then.execute(parsed);
        });
        return cl;
    }

    private static PrintWriter writer(PrintStream stream) {
        return new PrintWriter(stream, true);
    }

    /** {@code breaker} or {@code quarantine} alone: a usage error, before anything starts. */
    private static void requireVerb(ParseResult parsed) {
        ParseResult last = parsed;
        while (last.hasSubcommand()) {
            last = last.subcommand();
        }
        Object command = last.commandSpec().userObject();
        if (!(command instanceof Callable<?>) && !(command instanceof Method)) {
            throw new ParameterException(last.commandSpec().commandLine(),
                    last.commandSpec().commandLine() == parsed.commandSpec().commandLine() ? "missing command" : "missing subcommand");
        }
    }

    /** The shared format of a wrong command line: what is wrong in one line, then the usage; exit 2. */
    static int usageError(ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        err.println(name(command) + ": " + message(e, command));
        String[] synopsis = command.getCommandSpec().usageMessage().customSynopsis();
        for (int i = 0; i < synopsis.length; i++) {
            err.println((i == 0 ? "usage: " : "       ") + synopsis[i]);
        }
        if (command.getParent() == null) {
            err.println("commands: " + String.join(", ", command.getSubcommands().keySet()));
        }
        err.flush();
        return ExitCode.FAILED;
    }

    private static String message(ParameterException e, CommandLine command) {
        if (e instanceof UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            String first = unmatched.getUnmatched().get(0);
            if (first.startsWith("-")) {
                return "unknown option '" + first + "'";
            }
            if (!command.getSubcommands().isEmpty()) {
                return (command.getParent() == null ? "unknown command '" : "unknown subcommand '") + first + "'";
            }
            return "unexpected argument '" + first + "'";
        }
        return e.getMessage().replaceFirst("^Error: ", ""); // picocli's prefix for option groups; ours is the command's name
    }

    /** A failure the verb did not handle itself: one line on stderr, the stack trace in the log; exit 2. */
    private static int failed(Exception e, CommandLine command) {
        LOG.error(name(command) + " failed", e);
        command.getErr().println(name(command) + " failed: " + ScanRunner.describe(e));
        command.getErr().flush();
        return ExitCode.FAILED;
    }

    /** {@code scan}, {@code breaker ack}; the program's name for the root. */
    static String name(CommandLine command) {
        List<String> path = new ArrayList<>();
        for (CommandLine c = command; c.getParent() != null; c = c.getParent()) {
            path.add(0, c.getCommandName());
        }
        return path.isEmpty() ? PROGRAM : String.join(" ", path);
    }
}
