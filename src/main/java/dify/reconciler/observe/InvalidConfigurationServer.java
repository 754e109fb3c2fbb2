package dify.reconciler.observe;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dify.reconciler.metrics.MetricNames;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a sidecar ({@code reconciler.sidecar=true}) serves instead of the service when its configuration does
 * not start: every health path answers 200 (UP, with {@code configurationValid: false} and the reason as data),
 * {@code /q/metrics} serves {@code plugin_reconciler_configuration_valid 0}, the API answers 503, and nothing is
 * scanned. A container in the plugin daemon's pod that crash-loops or fails a probe makes the whole pod
 * not-ready and takes the daemon out of its Service; a wrong setting of ours must never cost Dify its plugins.
 *
 * <p>A plain JDK server, not Quarkus: start-up can fail anywhere in Quarkus (a setting that does not expand or
 * convert, a bean that cannot be built), after which none of its HTTP stack is left. The standalone Deployment
 * and the one-shot command keep failing fast instead ({@code Main}).
 */
public final class InvalidConfigurationServer {

    /** The health paths answered with 200; the probes of k8s/sidecar/daemon-patch.yaml are among them. */
    public static final List<String> HEALTH_PATHS = List.of("/q/health", "/q/health/live", "/q/health/ready",
            "/q/health/started");

    /** Variable names whose values are secrets: never repeated in the log or the health data. */
    public static final Pattern SECRET_NAME = Pattern.compile("(?i).*(PASSWORD|SECRET|TOKEN|CREDENTIAL|CONNECTION_STRING|_KEY).*");

    private final HttpServer server;

    private InvalidConfigurationServer(HttpServer server) {
        this.server = server;
    }

    /**
     * Binds {@code port} on all interfaces and serves until {@link #stop()}. The server's dispatcher thread is not
     * a daemon thread: it keeps the JVM alive after Quarkus gave up.
     *
     * @param reason why the configuration is invalid, already free of secrets ({@link #redact})
     */
    public static InvalidConfigurationServer start(int port, String reason) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        byte[] health = healthJson(reason).getBytes(StandardCharsets.UTF_8);
        byte[] metrics = metricsText().getBytes(StandardCharsets.UTF_8);
        byte[] unavailable = ("{\"status\":503,\"error\":\"the configuration is invalid, no scan runs: "
                + jsonEscape(reason) + "\"}").getBytes(StandardCharsets.UTF_8);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            String normalized = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
            if (HEALTH_PATHS.contains(normalized)) {
                respond(exchange, 200, "application/json; charset=UTF-8", health);
            } else if (normalized.equals("/q/metrics")) {
                respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics);
            } else if (normalized.startsWith("/api/")) {
                respond(exchange, 503, "application/json; charset=UTF-8", unavailable);
            } else {
                respond(exchange, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
            }
        });
        server.start();
        return new InvalidConfigurationServer(server);
    }

    /** Stops answering (on SIGTERM). */
    public void stop() {
        server.stop(0);
    }

    /** The bound port. */
    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * {@code message} with the value of every secret-named variable of {@code env} (at least 4 characters long)
     * replaced by {@code ***}: a start-up error may quote a value it could not use.
     */
    public static String redact(String message, Map<String, String> env) {
        String out = message == null ? "" : message;
        for (Map.Entry<String, String> e : env.entrySet()) {
            String value = e.getValue();
            if (value != null && value.length() >= 4 && SECRET_NAME.matcher(e.getKey()).matches()) {
                out = out.replace(value, "***");
            }
        }
        return out;
    }

    static String healthJson(String reason) {
        return "{\"status\":\"UP\",\"checks\":[{\"name\":\"dify-plugin-reconciler configuration\",\"status\":\"UP\","
                + "\"data\":{\"configurationValid\":false,\"sidecar\":true,\"error\":\"" + jsonEscape(reason) + "\"}}]}";
    }

    static String metricsText() {
        return "# HELP " + MetricNames.CONFIGURATION_VALID + " 1 = the configuration is valid and the service runs;"
                + " 0 = invalid (sidecar keeps running, no scans)\n"
                + "# TYPE " + MetricNames.CONFIGURATION_VALID + " gauge\n"
                + MetricNames.CONFIGURATION_VALID + " 0.0\n";
    }

    private static void respond(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        try (exchange) {
            exchange.getResponseHeaders().set("Content-Type", contentType);
            boolean head = "HEAD".equalsIgnoreCase(exchange.getRequestMethod());
            exchange.sendResponseHeaders(status, head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    static String jsonEscape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }
}
