package dify.reconciler.cli;

import picocli.CommandLine.Option;

/** {@code --help} on every command: its usage and options on stdout, exit 0, before anything starts. */
final class HelpOption {

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;
}
