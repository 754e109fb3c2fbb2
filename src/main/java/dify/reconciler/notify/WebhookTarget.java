package dify.reconciler.notify;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The webhook's URL, validated, and the only form of it we ever write down: scheme, host and port. A Slack incoming
 * webhook's path is its token; a query may hold one too; neither appears in a log line or an error message.
 */
public final class WebhookTarget {

    private final URI uri;
    private final String redacted;

    private WebhookTarget(URI uri) {
        this.uri = uri;
        this.redacted = uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + "/…";
    }

    /** Parses {@code reconciler.notify.webhook-url}; the error never repeats the value, only what is wrong with it. */
    public static WebhookTarget parse(String url) {
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("reconciler.notify.webhook-url is not a URL (value not shown: it may hold a token)");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException(
                    "reconciler.notify.webhook-url must be an http:// or https:// URL with a host (value not shown: it may hold a token)");
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("reconciler.notify.webhook-url must not carry user:password@ (value not shown)");
        }
        return new WebhookTarget(uri);
    }

    public URI uri() {
        return uri;
    }

    /** {@code scheme://host[:port]/…}: what log lines name. */
    public String redacted() {
        return redacted;
    }

    /** A message (e.g. an exception's) with the URL, its path and its query replaced by the redacted form. */
    public String scrub(String message) {
        if (message == null) {
            return null;
        }
        String scrubbed = message.replace(uri.toString(), redacted);
        for (String part : new String[] {uri.getRawQuery(), uri.getRawPath(), uri.getQuery(), uri.getPath()}) {
            if (part != null && part.length() > 1) {
                scrubbed = scrubbed.replace(part, "/…");
            }
        }
        return scrubbed;
    }

    @Override
    public String toString() {
        return redacted;
    }
}
