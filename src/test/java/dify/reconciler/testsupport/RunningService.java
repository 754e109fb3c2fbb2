package dify.reconciler.testsupport;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged application running as a service on a free port, as a Deployment runs it: started with an
 * environment, asked over HTTP, stopped gracefully (SIGTERM) or killed (SIGKILL).
 */
public final class RunningService implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final int port;
    private final Path log;
    /** {@code RECONCILER_API_TOKEN} of the environment, sent with every POST; null when none was set. */
    private final String token;
    private final List<String> command;
    private final long started = System.nanoTime();

    private RunningService(Process process, int port, Path log, String token, List<String> command) {
        this.command = command;
        this.process = process;
        this.port = port;
        this.log = log;
        this.token = token;
    }

    /** Starts the service and waits (at most a minute) until its startup probe answers 200. */
    public static RunningService start(Map<String, String> env) throws IOException, InterruptedException {
        return start(env, List.of());
    }

    /** Like {@link #start(Map)}, with more JVM options (e.g. {@link StartedThreads#jvmOptions()}). */
    public static RunningService start(Map<String, String> env, List<String> jvmOptions) throws IOException, InterruptedException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Map<String, String> withPort = new HashMap<>(env);
        withPort.put("PORT", Integer.toString(port));
        Path log = Files.createTempFile("service", ".log");
        List<String> options = new ArrayList<>(List.of("-Xmx256m"));
        options.addAll(jvmOptions);
        ProcessBuilder builder = PackagedApp.builder(withPort, options);
        Process p = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        RunningService service = new RunningService(p, port, log, env.get("RECONCILER_API_TOKEN"), builder.command());
        Instant deadline = Instant.now().plus(Duration.ofMinutes(1));
        while (Instant.now().isBefore(deadline)) {
            if (!p.isAlive()) {
                throw new IllegalStateException("the service exited with " + p.exitValue() + ":\n" + service.log());
            }
            try {
                if (service.get("/q/health/started").statusCode() == 200) {
                    return service;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        service.kill();
        throw new IllegalStateException("the service did not start within a minute:\n" + service.log());
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofMinutes(2)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A POST with the environment's API token (mutating endpoints need it), if it had one. */
    public HttpResponse<String> post(String path) throws IOException, InterruptedException {
        return post(path, token);
    }

    /** A POST with {@code Authorization: Bearer <token>}, or without that header when {@code token} is null. */
    public HttpResponse<String> post(String path, String token) throws IOException, InterruptedException {
        return post(port, path, token);
    }

    /** As {@link #post(String, String)}, to another port of the service (the management listener). */
    public HttpResponse<String> post(int toPort, String path, String token) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + toPort + path)).timeout(Duration.ofMinutes(2))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }

    /** The value of one series on {@code /q/metrics} (its name and labels exactly as exposed), or null when absent. */
    public String metric(String series) throws IOException, InterruptedException {
        for (String line : get("/q/metrics").body().split("\n")) {
            if (line.startsWith(series + " ")) {
                return line.substring(series.length() + 1).trim();
            }
        }
        return null;
    }

    public int port() {
        return port;
    }

    public Process process() {
        return process;
    }

    /** What the service printed so far. */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** SIGTERM, as Kubernetes stops a pod; waits for the exit. */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            kill();
        }
    }

    /** SIGKILL: no shutdown hook runs, connections are simply cut. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        LaunchTimes.record(command, started);
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a temp file
        }
    }
}
