package dify.reconciler.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.approval.PlanAwaitingApproval;
import dify.reconciler.config.ProcessMode;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.leader.LeaderElection;
import dify.reconciler.metrics.MetricNames;
import dify.reconciler.remediate.guard.BreakerEvent;
import dify.reconciler.report.ScanReport;
import dify.reconciler.state.StateStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * The webhook for people without Alertmanager ({@code reconciler.notify.webhook-url}). Scans and the breaker only
 * {@link #offer(Notice) offer} a notice to a bounded queue and go on; one thread of its own sends them, with retries,
 * so a slow or dead receiver never delays or fails a scan. A full queue drops the notice and counts it
 * ({@code plugin_reconciler_notifications_total{outcome="dropped"}}); a dropped or undelivered state is offered again
 * by the next scan that sees it. The service only: a one-shot command sends nothing (it would exit under the thread);
 * and only the leader where the election runs ({@link #sending()}).
 */
@Startup
@ApplicationScoped
public class Notifications {

    private static final Logger LOG = Logger.getLogger(Notifications.class);

    static final String SENT = "sent";
    static final String FAILED = "failed";
    static final String DROPPED = "dropped";

    @Inject
    ReconcilerConfig config;

    @Inject
    ProcessMode role;

    @Inject
    StateStore state;

    @Inject
    DataSource dataSource;

    @Inject
    MeterRegistry registry;

    @Inject
    ObjectMapper json;

    @Inject
    Clock clock;

    @Inject
    LeaderElection election;

    private final Map<NoticeEvent, Map<String, Counter>> counters = new EnumMap<>(NoticeEvent.class);
    private final List<Counter> owned = new ArrayList<>();
    /** Per channel, the state last put in the queue (or being sent): a scan that sees it again offers nothing. */
    private final Map<String, String> offered = new ConcurrentHashMap<>();

    private BlockingQueue<Notice> queue;
    private NoticePayloads payloads;
    private Thread worker;

    @PostConstruct
    void start() {
        for (NoticeEvent event : NoticeEvent.values()) {
            Map<String, Counter> byOutcome = new ConcurrentHashMap<>();
            for (String outcome : List.of(SENT, FAILED, DROPPED)) {
                Counter c = Counter.builder(MetricNames.NOTIFICATIONS)
                        .description("Webhook notices: sent (2xx), failed (every attempt failed) or dropped (queue full)")
                        .tag(MetricNames.TAG_EVENT, event.label()).tag(MetricNames.TAG_OUTCOME, outcome).register(registry);
                byOutcome.put(outcome, c);
                owned.add(c);
            }
            counters.put(event, byOutcome);
        }
        String url = config.notifications().webhookUrl().map(String::trim).orElse("");
        if (url.isEmpty() || role.oneShot()) {
            return;
        }
        ReconcilerConfig.Notify settings = config.notifications();
        if (settings.retries() < 0 || settings.queueSize() < 1 || settings.timeout().isNegative() || settings.timeout().isZero()
                || settings.retryBackoff().isNegative()) {
            throw new IllegalArgumentException("reconciler.notify.retries must be >= 0, reconciler.notify.queue-size >= 1,"
                    + " reconciler.notify.timeout > 0 and reconciler.notify.retry-backoff >= 0");
        }
        WebhookTarget target = WebhookTarget.parse(url);
        WebhookSender sender = new WebhookSender(target, settings.timeout(), settings.retries(), settings.retryBackoff());
        DeliveredStates delivered = new DeliveredStates(state, dataSource);
        payloads = new NoticePayloads(instance(), settings.linkBase());
        queue = new ArrayBlockingQueue<>(settings.queueSize());
        worker = new Thread(() -> work(sender, delivered), "webhook");
        worker.setDaemon(true);
        worker.start();
        LOG.infof("webhook %s: notices on critical findings' changes, failed runs, breaker trips and plans awaiting approval",
                target.redacted());
    }

    @PreDestroy
    void stop() {
        if (worker != null) {
            worker.interrupt();
        }
        owned.forEach(registry::remove);
    }

    /** Called for every finished scan; only computes and queues, never waits. */
    void onScan(@Observes ScanReport report) {
        if (queue == null || !sending()) {
            return;
        }
        if (report.succeeded() && report.summary() != null) {
            CriticalSet set = CriticalSet.of(report);
            offerChanged(new Notice(NoticeEvent.CRITICAL_FINDINGS_CHANGED, Notice.CRITICAL_CHANNEL, set.fingerprint(),
                    payloads.criticalFindingsChanged(report, set)));
            offerChanged(Notice.recordOnly(Notice.RUN_CHANNEL, Notice.SUCCEEDING));
        } else {
            offerChanged(new Notice(NoticeEvent.RUN_FAILED, Notice.RUN_CHANNEL, Notice.FAILING, payloads.runFailed(report)));
        }
    }

    /** Called for every breaker trip (the breaker fires it); every trip is sent. */
    void onBreakerTrip(@Observes BreakerEvent trip) {
        if (queue != null && sending() && !trip.acknowledged()) {
            offer(new Notice(NoticeEvent.BREAKER_TRIPPED, null, null, payloads.breakerTripped(trip)));
        }
    }

    /** Called when a plan is published for approval; once per plan id (the channel's state), across restarts too. */
    void onPlanPublished(@Observes PlanAwaitingApproval published) {
        if (queue != null && sending()) {
            offerChanged(new Notice(NoticeEvent.PLAN_AWAITS_APPROVAL, Notice.APPROVAL_CHANNEL, published.plan().planId(),
                    payloads.planAwaitsApproval(published.plan())));
        }
    }

    /**
     * Whether this replica sends: where the election runs, the leader only. Every event is about the one daemon all
     * replicas share (each scans it, and a follower's planning can trip the breaker too), so the receiver hears each
     * once, from the leader; a follower's own failed scans show in its metrics and readiness. A service outside the
     * election (DB_TYPE=pgbouncer) cannot tell who leads, so each such replica sends.
     */
    private boolean sending() {
        return !election.active() || election.isLeader();
    }

    private void offerChanged(Notice notice) {
        if (notice.state().equals(offered.put(notice.channel(), notice.state()))) {
            return;
        }
        if (!offer(notice)) {
            offered.remove(notice.channel(), notice.state());
        }
    }

    /** Queues a notice without waiting; false (and counted as dropped) when the queue is full or the webhook is off. */
    public boolean offer(Notice notice) {
        if (queue != null && queue.offer(notice)) {
            return true;
        }
        if (queue != null && !notice.recordsOnly()) {
            count(notice.event(), DROPPED);
            LOG.warnf("webhook queue full (%d): %s notice dropped", config.notifications().queueSize(), notice.event().label());
        }
        return false;
    }

    private void work(WebhookSender sender, DeliveredStates delivered) {
        try {
            while (true) {
                Notice notice = queue.take();
                try {
                    deliver(notice, sender, delivered);
                } catch (RuntimeException e) {
                    LOG.warnf(e, "webhook: %s notice not handled", notice.recordsOnly() ? notice.channel() : notice.event().label());
                    forget(notice);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void deliver(Notice notice, WebhookSender sender, DeliveredStates delivered) throws InterruptedException {
        if (notice.channel() != null && delivered.last(notice.channel()).filter(notice.state()::equals).isPresent()) {
            return; // the receiver already has this state (sent before a restart, or by another replica)
        }
        if (notice.recordsOnly()) {
            delivered.delivered(notice.channel(), notice.state(), clock.instant());
            return;
        }
        if (sender.send(notice.event().label(), body(notice))) {
            count(notice.event(), SENT);
            if (notice.channel() != null) {
                delivered.delivered(notice.channel(), notice.state(), clock.instant());
            }
        } else {
            count(notice.event(), FAILED);
            forget(notice);
        }
    }

    /** The next scan that sees this state offers it again. */
    private void forget(Notice notice) {
        if (notice.channel() != null) {
            offered.remove(notice.channel(), notice.state());
        }
    }

    private byte[] body(Notice notice) {
        try {
            return json.writeValueAsBytes(notice.payload());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a notice's payload is plain maps and strings: " + e.getMessage(), e);
        }
    }

    private void count(NoticeEvent event, String outcome) {
        counters.get(event).get(outcome).increment();
    }

    private static String instance() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }
}
