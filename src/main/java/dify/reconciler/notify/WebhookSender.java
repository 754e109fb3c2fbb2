package dify.reconciler.notify;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * POSTs one JSON body, retrying with a doubling back-off. Runs on the webhook's own thread only: its waits never
 * touch a scan. Redirects are not followed (a redirect would send the body somewhere nobody configured).
 */
final class WebhookSender {

    private static final Logger LOG = Logger.getLogger(WebhookSender.class);

    private final WebhookTarget target;
    private final Duration timeout;
    private final int retries;
    private final Duration backoff;
    private final HttpClient client;

    WebhookSender(WebhookTarget target, Duration timeout, int retries, Duration backoff) {
        this.target = target;
        this.timeout = timeout;
        this.retries = retries;
        this.backoff = backoff;
        this.client = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** True once the receiver answered 2xx; false after the last attempt failed. Throws only when interrupted. */
    boolean send(String event, byte[] json) throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(target.uri()).timeout(timeout).header("Content-Type", "application/json")
                .header("User-Agent", "dify-plugin-reconciler").POST(HttpRequest.BodyPublishers.ofByteArray(json)).build();
        Duration wait = backoff;
        int attempts = retries + 1;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            String failure;
            try {
                int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status >= 200 && status < 300) {
                    LOG.infof("webhook %s: %s notice delivered (attempt %d of %d)", target.redacted(), event, attempt, attempts);
                    return true;
                }
                failure = "answered HTTP " + status;
            } catch (IOException e) {
                failure = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + target.scrub(e.getMessage()));
            }
            if (attempt == attempts) {
                LOG.warnf("webhook %s: %s notice not delivered, %s on the last of %d attempts", target.redacted(), event, failure,
                        attempts);
                break;
            }
            LOG.warnf("webhook %s: %s notice attempt %d of %d %s; retrying in %s", target.redacted(), event, attempt, attempts,
                    failure, wait);
            Thread.sleep(wait.toMillis());
            wait = wait.multipliedBy(2);
        }
        return false;
    }
}
