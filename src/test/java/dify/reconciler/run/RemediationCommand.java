package dify.reconciler.run;

import dify.reconciler.cli.CommandRunner;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.stream.Stream;

/**
 * The remediation verbs for the in-process tests, under the name the one class that held them all had: each method runs
 * the command line {@code VERB ARGS...} through the product's {@link CommandRunner}, so parsing, usage errors and exit
 * codes are the jar's.
 */
@ApplicationScoped
public class RemediationCommand {

    @Inject
    CommandRunner commands;

    public int plan(String... args) {
        return run("plan", args);
    }

    public int apply(String... args) {
        return run("apply", args);
    }

    public int restore(String... args) {
        return run("restore", args);
    }

    public int recover(String... args) {
        return run("recover", args);
    }

    public int purge(String... args) {
        return run("purge", args);
    }

    public int quarantine(String... args) {
        return run("quarantine", args);
    }

    private int run(String verb, String... args) {
        return commands.run(Stream.concat(Stream.of(verb), Stream.of(args)).toArray(String[]::new));
    }
}
