package dify.reconciler.run;

import dify.reconciler.cli.CommandRunner;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.stream.Stream;

/** {@code breaker ARGS...} for the in-process tests, through the product's {@link CommandRunner} (see {@link RemediationCommand}). */
@ApplicationScoped
public class BreakerCommand {

    @Inject
    CommandRunner commands;

    public int run(String... args) {
        return commands.run(Stream.concat(Stream.of("breaker"), Stream.of(args)).toArray(String[]::new));
    }
}
