package dify.reconciler.run;

import dify.reconciler.remediate.Breaker;
import dify.reconciler.remediate.BreakerEvent;
import dify.reconciler.remediate.BreakerStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * {@code breaker status} shows whether the remediation breaker is tripped and by what; {@code breaker ack
 * --reason TEXT} acknowledges every open trip (who: this OS user on this host), so plans may act again. Exit 0
 * when done (tripped or not), 2 on a usage error or when the breaker cannot be read or written. With state in
 * memory the breaker lives in one process only, so a one-shot sees its own (never tripped) breaker: said so.
 */
@ApplicationScoped
public class BreakerCommand {

    private static final Logger LOG = Logger.getLogger(BreakerCommand.class);
    static final String USAGE = "usage: breaker status | breaker ack --reason TEXT";

    @Inject
    Breaker breaker;

    public int run(String... args) {
        if (args.length == 1 && args[0].equals("status")) {
            return status();
        }
        if (args.length == 3 && args[0].equals("ack") && args[1].equals("--reason") && !args[2].isBlank()) {
            return ack(args[2]);
        }
        System.err.println(USAGE);
        return ScanCommand.EXIT_FAILED;
    }

    private int status() {
        try {
            BreakerStatus s = breaker.status();
            System.out.println("Breaker: " + (s.tripped() ? "TRIPPED" : "not tripped") + " (state " + s.storage() + ")");
            s.open().forEach(e -> System.out.println("  " + line(e)));
            if (s.tripped()) {
                System.out.println("No plan acts and apply refuses until 'breaker ack --reason TEXT'.");
            }
            memoryNote(s);
            return ScanCommand.EXIT_CLEAN;
        } catch (RuntimeException e) {
            LOG.error("breaker status failed", e);
            System.err.println("breaker status failed: " + ScanRunner.describe(e));
            return ScanCommand.EXIT_FAILED;
        }
    }

    private int ack(String reason) {
        try {
            List<BreakerEvent> acked = breaker.ack(reason, actor());
            if (acked.isEmpty()) {
                System.out.println("Breaker: not tripped; nothing to acknowledge");
            } else {
                acked.forEach(e -> System.out.println("acknowledged " + line(e)));
                System.out.println("Breaker: acknowledged " + acked.size() + " trip(s); plans may act again");
            }
            memoryNote(breaker.status());
            return ScanCommand.EXIT_CLEAN;
        } catch (RuntimeException e) {
            LOG.error("breaker ack failed", e);
            System.err.println("breaker ack failed: " + ScanRunner.describe(e));
            return ScanCommand.EXIT_FAILED;
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
