package dify.reconciler.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * An HTTP/1.1 proxy in front of a real server (S3Proxy) that injects faults per request: an error status
 * (500, 503), a delay, a reset connection, a response cut short after its headers promised more, no answer at
 * all (a hang), or an answer lost after the server acted (a write done, its success never delivered); closed, it refuses connections like a stopped server. Requests
 * and responses are relayed byte for byte (the SigV4 signature covers the Host header, which stays the
 * proxy's, as the client signed it). Only what S3 clients send is parsed: Content-Length and chunked bodies.
 */
public final class FaultyHttpProxy implements AutoCloseable {

    /** What to do with one request. */
    public sealed interface Fault {
        Fault PASS = new Delay(0);

        /** Answer with this status and an S3-style error body instead of forwarding. */
        record Status(int code) implements Fault {
        }

        /** Forward after waiting. */
        record Delay(long millis) implements Fault {
        }

        /** Close the client's connection without an answer. */
        record Reset() implements Fault {
        }

        /** Forward, then relay only the response's headers and half of its body, and close. */
        record CutBody() implements Fault {
        }

        /** A server that hangs: the request is read and never forwarded nor answered; the connection stays open. */
        record Hang() implements Fault {
        }

        /**
         * A lost answer: the request is forwarded and the server acts on it (a PUT is written), then the client's
         * connection is reset instead of relaying the answer, so the client cannot tell success from failure.
         */
        record LostAnswer() implements Fault {
        }
    }

    /**
     * The request as the policy sees it: method, path with query, its number (1-based) since start, and its
     * headers (names lower-cased; a repeated header keeps its last value).
     */
    public record Request(String method, String target, int number, Map<String, String> headers) {
    }

    private final ServerSocket server;
    private final URI upstream;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "faulty-proxy");
        t.setDaemon(true);
        return t;
    });
    /** Connections accepted and not yet closed: {@link #close()} cuts them too, as a stopped server would. */
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger faults = new AtomicInteger();
    private volatile Function<Request, Fault> policy = r -> Fault.PASS;

    private FaultyHttpProxy(URI upstream, int port) throws IOException {
        this.upstream = upstream;
        this.server = new ServerSocket();
        server.setReuseAddress(true); // a proxy started again on the port of a closed one binds at once
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        threads.submit(this::accept);
    }

    /** Starts a proxy to {@code upstream} (http://host:port) that passes everything until {@link #policy} says otherwise. */
    public static FaultyHttpProxy to(URI upstream) {
        return on(0, upstream);
    }

    /**
     * The same on a given loopback port: after {@link #close()} (the server "stopped": connections refused), a
     * new proxy on the old one's {@link #port()} is the server back at the same address.
     */
    public static FaultyHttpProxy on(int port, URI upstream) {
        try {
            return new FaultyHttpProxy(upstream, port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    public void policy(Function<Request, Fault> policy) {
        this.policy = policy;
    }

    /** Requests seen (including faulted ones). */
    public int requests() {
        return requests.get();
    }

    /** Requests that were faulted (anything but a plain pass). */
    public int faults() {
        return faults.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                threads.submit(() -> serve(client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket client) {
        open.add(client);
        try (client; Socket up = new Socket(upstream.getHost(), upstream.getPort())) {
            InputStream fromClient = client.getInputStream();
            OutputStream toClient = client.getOutputStream();
            InputStream fromUp = up.getInputStream();
            OutputStream toUp = up.getOutputStream();
            while (true) {
                byte[] head = readHead(fromClient);
                if (head == null) {
                    return;
                }
                String headText = new String(head, StandardCharsets.ISO_8859_1);
                String[] requestLine = headText.substring(0, headText.indexOf("\r\n")).split(" ");
                byte[] body = readBody(fromClient, headText);
                Fault fault = policy.apply(new Request(requestLine[0], requestLine[1], requests.incrementAndGet(), headers(headText)));
                if (fault != Fault.PASS) {
                    faults.incrementAndGet();
                }
                if (fault instanceof Fault.Hang) {
                    while (fromClient.read() != -1) {
                        // hold the connection until the client gives up or the proxy closes
                    }
                    return;
                }
                if (fault instanceof Fault.Reset) {
                    client.setSoLinger(true, 0); // RST, not FIN
                    return;
                }
                if (fault instanceof Fault.Status s) {
                    byte[] xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>"
                            + errorCode(s.code())
                            + "</Code><Message>injected by FaultyHttpProxy</Message></Error>").getBytes(StandardCharsets.UTF_8);
                    boolean head_ = requestLine[0].equals("HEAD");
                    toClient.write(("HTTP/1.1 " + s.code() + " Injected\r\nContent-Type: application/xml\r\nContent-Length: "
                            + xml.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    if (!head_) {
                        toClient.write(xml);
                    }
                    toClient.flush();
                    continue;
                }
                if (fault instanceof Fault.Delay d && d.millis() > 0) {
                    Thread.sleep(d.millis());
                }
                toUp.write(head);
                toUp.write(body);
                toUp.flush();
                byte[] responseHead = readHead(fromUp);
                if (responseHead == null) {
                    return;
                }
                String responseText = new String(responseHead, StandardCharsets.ISO_8859_1);
                byte[] responseBody = requestLine[0].equals("HEAD") || statusOf(responseText) == 204 || statusOf(responseText) == 304
                        ? new byte[0]
                        : readBody(fromUp, responseText);
                if (fault instanceof Fault.LostAnswer) {
                    client.setSoLinger(true, 0); // RST, not FIN
                    return;
                }
                toClient.write(responseHead);
                if (fault instanceof Fault.CutBody) {
                    toClient.write(responseBody, 0, responseBody.length / 2);
                    toClient.flush();
                    return;
                }
                toClient.write(responseBody);
                toClient.flush();
            }
        } catch (IOException e) {
            // a client or upstream that went away: nothing to relay
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(client);
        }
    }

    /** The S3 error code S3 answers with this status. */
    private static String errorCode(int status) {
        return switch (status) {
            case 403 -> "AccessDenied";
            case 412 -> "PreconditionFailed";
            case 503 -> "SlowDown";
            default -> "InternalError";
        };
    }

    private static Map<String, String> headers(String head) {
        Map<String, String> headers = new HashMap<>();
        String[] lines = head.split("\r\n");
        for (int i = 1; i < lines.length; i++) { // lines[0] is the request line
            String line = lines[i];
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
        }
        return Map.copyOf(headers);
    }

    private static int statusOf(String head) {
        return Integer.parseInt(head.substring(9, 12));
    }

    /** The header block including the blank line, or null at a clean end of stream. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while ((b = in.read()) != -1) {
            out.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
            if (matched == 4) {
                return out.toByteArray();
            }
        }
        if (out.size() == 0) {
            return null;
        }
        throw new IOException("stream ended inside a header block");
    }

    /** The body as it was sent (chunk framing included), by Content-Length or chunked encoding. */
    private static byte[] readBody(InputStream in, String head) throws IOException {
        String lower = head.toLowerCase(Locale.ROOT);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (lower.contains("\r\ntransfer-encoding: chunked")) {
            while (true) {
                String sizeLine = readLine(in, out);
                int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
                if (size == 0) {
                    while (!readLine(in, out).isEmpty()) {
                        // trailers
                    }
                    return out.toByteArray();
                }
                out.write(in.readNBytes(size + 2)); // data and its CRLF
            }
        }
        int at = lower.indexOf("\r\ncontent-length:");
        if (at < 0) {
            return new byte[0];
        }
        int end = lower.indexOf("\r\n", at + 2);
        long length = Long.parseLong(lower.substring(at + "\r\ncontent-length:".length(), end).trim());
        byte[] body = in.readNBytes((int) length);
        if (body.length != length) {
            throw new IOException("body ended early");
        }
        return body;
    }

    private static String readLine(InputStream in, ByteArrayOutputStream copy) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) != -1) {
            copy.write(b);
            if (b == '\n') {
                return sb.toString().trim();
            }
            sb.append((char) b);
        }
        throw new IOException("stream ended inside a chunk header");
    }

    /** Stops listening and cuts every open connection (pooled keep-alive ones too), like a stopped server. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        threads.shutdownNow();
    }
}
