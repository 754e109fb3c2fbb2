package dify.reconciler.cli;

import dify.reconciler.remediate.guard.Breaker;
import dify.reconciler.remediate.guard.BreakerEvent;
import dify.reconciler.remediate.guard.BreakerStatus;
import dify.reconciler.run.ScanRunner;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.jboss.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code breaker status} shows whether the remediation breaker is tripped and by what; {@code breaker ack
 * --reason TEXT} acknowledges every open trip (who: this OS user on this host), so plans may act again. Exit 0
 * when done (tripped or not), 2 on a usage error or when the breaker cannot be read or written. With state in
 * memory the breaker lives in one process only, so a one-shot sees its own (never tripped) breaker: said so.
 */
@Dependent
@Unremovable
@Command(name = "breaker", synopsisHeading = "usage: ", customSynopsis = "breaker status | breaker ack --reason TEXT", description = {
        "Show or acknowledge the remediation breaker."})
public class BreakerCommand {

    private static final Logger LOG = Logger.getLogger(BreakerCommand.class);

    @Mixin
    HelpOption help;

    @Inject
    Breaker breaker;

    /** {@code --reason}'s value: an acknowledgement says why, so a blank one is a usage error. */
    static final class Reason implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (value.isBlank()) {
                throw new TypeConversionException("a reason is required (why it is safe to act again)");
            }
            return value;
        }
    }

    @Command(name = "status", synopsisHeading = "usage: ", customSynopsis = "breaker status", description = {
            "Whether the breaker is tripped, and by what. Exit 0 shown, 2 it cannot be read."})
    int status(@Mixin HelpOption statusHelp) {
        try {
            BreakerStatus s = breaker.status();
            System.out.println("Breaker: " + (s.tripped() ? "TRIPPED" : "not tripped") + " (state " + s.storage() + ")");
            s.open().forEach(e -> System.out.println("  " + line(e)));
            if (s.tripped()) {
                System.out.println("No plan acts and apply refuses until 'breaker ack --reason TEXT'.");
            }
            memoryNote(s);
            return ExitCode.CLEAN;
        } catch (RuntimeException e) {
            LOG.error("breaker status failed", e);
            System.err.println("breaker status failed: " + ScanRunner.describe(e));
            return ExitCode.FAILED;
        }
    }

    @Command(name = "ack", synopsisHeading = "usage: ", customSynopsis = "breaker ack --reason TEXT", description = {
            "Acknowledge every open trip (recorded with this OS user and host), so plans may act again. Exit 0 done, 2 failed."})
    int ack(@Mixin HelpOption ackHelp, @Option(names = "--reason", required = true, paramLabel = "TEXT", converter = Reason.class,
            description = "Why it is safe to act again (recorded).") String reason) {
        try {
            List<BreakerEvent> acked = breaker.ack(reason, actor());
            if (acked.isEmpty()) {
                System.out.println("Breaker: not tripped; nothing to acknowledge");
            } else {
                acked.forEach(e -> System.out.println("acknowledged " + line(e)));
                System.out.println("Breaker: acknowledged " + acked.size() + " trip(s); plans may act again");
            }
            memoryNote(breaker.status());
            return ExitCode.CLEAN;
        } catch (RuntimeException e) {
            LOG.error("breaker ack failed", e);
            System.err.println("breaker ack failed: " + ScanRunner.describe(e));
            return ExitCode.FAILED;
        }
    }

    private static void memoryNote(BreakerStatus s) {
        if ("memory".equals(s.storage())) {
            System.out.println("Note: state is in memory, so the breaker lives only in one process (a service's breaker is"
                    + " not visible here)");
        }
    }

    private static String line(BreakerEvent e) {
        return "#" + e.id() + " " + e.trippedAt() + " " + e.guard() + " (plan " + e.planId() + ", " + e.instance() + "): " + e.detail();
    }

    private static String actor() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "unknown";
        }
        return "cli:" + System.getProperty("user.name", "unknown") + "@" + host;
    }
}
