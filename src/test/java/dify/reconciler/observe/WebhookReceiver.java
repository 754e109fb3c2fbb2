package dify.reconciler.observe;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A webhook receiver on a local port (JDK HTTP server), at a Slack-like path whose last segment is a token: the
 * service must POST there and never write that path down. The test scripts its answers ({@link #answers}, 200 when
 * empty) and can hold every request open ({@link #hold}) to play a receiver that hangs.
 */
public class WebhookReceiver implements QuarkusTestResourceLifecycleManager {

    /** The secret part of the URL (Slack's incoming webhooks carry their token in the path). */
    static final String TOKEN_PATH = "/services/T0RECON/B0HOOK/sEcReTtOkEn4242";
    static final String QUERY_SECRET = "sig=qUeRySeCrEt77";

    record Received(String method, String path, String query, String contentType, String body) {
    }

    static final BlockingQueue<Received> requests = new LinkedBlockingQueue<>();
    static final ConcurrentLinkedQueue<Integer> answers = new ConcurrentLinkedQueue<>();
    static volatile CountDownLatch hold;
    /** Counted down when a request arrives while {@link #hold} is set. */
    static volatile CountDownLatch held;

    private HttpServer server;
    private java.util.concurrent.ExecutorService threads;

    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    exchange.getRequestURI().getQuery(), exchange.getRequestHeaders().getFirst("Content-Type"), body));
            CountDownLatch h = hold;
            if (h != null) {
                held.countDown();
                try {
                    h.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Integer status = answers.poll();
            exchange.sendResponseHeaders(status == null ? 200 : status, -1);
            exchange.close();
        });
        threads = Executors.newFixedThreadPool(2);
        server.setExecutor(threads);
        server.start();
        return Map.of(
                "reconciler.notify.webhook-url", "http://127.0.0.1:" + server.getAddress().getPort() + TOKEN_PATH + "?" + QUERY_SECRET,
                "reconciler.notify.retry-backoff", "20ms",
                "reconciler.notify.timeout", "30s",
                "reconciler.notify.queue-size", "1",
                "reconciler.notify.link-base", "https://reconciler.example.com/ops");
    }

    @Override
    public void stop() {
        if (server != null) {
            CountDownLatch h = hold;
            if (h != null) {
                h.countDown();
            }
            server.stop(0);
            threads.shutdownNow();
        }
    }
}
