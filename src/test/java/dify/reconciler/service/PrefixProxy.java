package dify.reconciler.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What an ingress that strips a path prefix does: {@code http://127.0.0.1:<port>/reconciler/x} is forwarded to
 * {@code <upstream>/x}; any other path answers 404 and is remembered, so a page that asks for an absolute URL
 * ({@code /api/...}) both breaks and is caught. Every request line and {@code Authorization} header seen is kept
 * for the test's checks (a token must never travel in a URL).
 */
final class PrefixProxy implements AutoCloseable {

    static final String PREFIX = "/reconciler/";

    /** One request as the proxy received it. */
    record Seen(String method, String uri, String authorization) {
    }

    private final HttpServer server;
    private final HttpClient client = HttpClient.newHttpClient();
    private final URI upstream;
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    final List<String> outsidePrefix = new CopyOnWriteArrayList<>();

    PrefixProxy(URI upstream) throws IOException {
        this.upstream = upstream;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    /** The console's address through the proxy. */
    String consoleUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + PREFIX;
    }

    String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        String uri = ex.getRequestURI().toString();
        seen.add(new Seen(ex.getRequestMethod(), uri, ex.getRequestHeaders().getFirst("Authorization")));
        try (ex) {
            if (!uri.startsWith(PREFIX)) {
                outsidePrefix.add(ex.getRequestMethod() + " " + uri);
                ex.sendResponseHeaders(404, -1);
                return;
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(upstream.resolve("/" + uri.substring(PREFIX.length())));
            for (String h : List.of("Authorization", "Accept", "Content-Type", "X-Reconciler-Actor")) {
                String v = ex.getRequestHeaders().getFirst(h);
                if (v != null) {
                    request.header(h, v);
                }
            }
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            request.method(ex.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
            HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            for (Map.Entry<String, List<String>> h : response.headers().map().entrySet()) {
                String name = h.getKey().toLowerCase(java.util.Locale.ROOT);
                if (!name.equals("content-length") && !name.equals("transfer-encoding") && !name.equals("connection")
                        && !name.startsWith(":")) {
                    ex.getResponseHeaders().put(h.getKey(), h.getValue());
                }
            }
            byte[] bytes = response.body();
            ex.sendResponseHeaders(response.statusCode(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(bytes);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
