package dify.reconciler.cli;

import io.quarkus.arc.Arc;
import io.quarkus.arc.InstanceHandle;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IFactory;

/**
 * Runs a one-shot command in the started application: the command line as the launcher got it ({@code scan
 * --output r.json}), parsed and reported by {@link Cli}, each verb a {@code @Dependent} CDI bean (so its options
 * are its own for this run) destroyed when the command ends. The in-process tests run commands through here too, so
 * they exercise the same parsing, usage errors and exit codes as the jar.
 */
@ApplicationScoped
public class CommandRunner {

    /** Runs {@code args} (the verb first) and returns its exit code; output on the current stdout and stderr. */
    public int run(String... args) {
        List<InstanceHandle<?>> created = new ArrayList<>();
        IFactory beans = new IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                InstanceHandle<K> bean = Arc.container().instance(type);
                if (!bean.isAvailable()) {
                    return CommandLine.defaultFactory().create(type); // the root, mixins, converters, option groups
                }
                created.add(bean);
                return bean.get();
            }
        };
        try {
            return Cli.run(beans, args, System.out, System.err);
        } finally {
            created.forEach(InstanceHandle::close);
        }
    }
}
