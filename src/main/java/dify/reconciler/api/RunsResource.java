package dify.reconciler.api;

import dify.reconciler.catalog.Severity;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.ScanRunner;
import dify.reconciler.state.RunRecord;
import dify.reconciler.state.RunStore;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/v1/runs}: the last {@code reconciler.run-history-size} runs, newest first (from our schema when state
 * is persisted, so they survive restarts).
 * {@code POST /api/v1/runs}: one scan now, in the request (it can take minutes on a large bucket), returning
 * the run; 409 when a scan is already running (scheduled or requested). It starts work on the daemon's database
 * and bucket, so it needs the API token ({@link MutatingEndpoint}).
 */
@Path("/api/v1/runs")
@Produces(MediaType.APPLICATION_JSON)
public class RunsResource {

    /** One run, without its findings (those are in {@code /api/v1/report} and {@code /api/v1/findings}). */
    public record RunSummary(String runId, String result, String startedAt, String finishedAt, double durationSeconds,
            Long findings, Map<String, Long> bySeverity, String failedPhase, String error) {

        static RunSummary of(RunRecord r) {
            return new RunSummary(r.runId(), r.result(), r.startedAt().toString(), r.finishedAt().toString(),
                    Duration.between(r.startedAt(), r.finishedAt()).toNanos() / 1e9, r.total(),
                    r.succeeded() ? r.bySeverity() : null, r.failedPhase(), r.error());
        }

        static RunSummary of(ScanReport r) {
            Map<String, Long> bySeverity = null;
            if (r.summary() != null) {
                bySeverity = new LinkedHashMap<>();
                for (Severity s : new Severity[] {Severity.CRITICAL, Severity.WARNING, Severity.INFO}) {
                    bySeverity.put(s.label(), r.summary().bySeverity().getOrDefault(s, 0L));
                }
            }
            return new RunSummary(r.runId(), r.succeeded() ? "success" : "failure", r.startedAt().toString(),
                    r.finishedAt().toString(), r.duration().toNanos() / 1e9,
                    r.summary() == null ? null : r.summary().total(), bySeverity, r.failedPhase(), r.error());
        }
    }

    /** The run list. */
    public record Runs(boolean scanning, List<RunSummary> runs) {
    }

    @Inject
    RunStore runs;

    @Inject
    ReconcilerConfig config;

    @Inject
    ScanRunner runner;

    @GET
    public Runs recent() {
        return new Runs(runner.isScanning(), runs.recent(Math.max(1, config.runHistorySize())).stream()
                .map(RunSummary::of).toList());
    }

    @POST
    @MutatingEndpoint
    @Blocking
    public Response runNow() {
        return runner.scanIfIdle()
                .map(r -> Response.ok(RunSummary.of(r)).build())
                .orElseGet(() -> ApiError.response(Response.Status.CONFLICT,
                        "a scan is already running; GET /api/v1/runs shows when it ends"));
    }
}
