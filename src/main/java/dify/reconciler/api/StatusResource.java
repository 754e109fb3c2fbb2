package dify.reconciler.api;

import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.leader.LeaderElection;
import dify.reconciler.leader.LeaderStatus;
import dify.reconciler.remediate.guard.Breaker;
import dify.reconciler.remediate.guard.BreakerStatus;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.run.RunHistory;
import dify.reconciler.run.ScanRunner;
import dify.reconciler.state.StateStore;
import io.smallrye.common.annotation.Blocking;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/**
 * {@code GET /api/v1/status}: what the web console shows in its header and what it needs to know before offering a
 * button: armed or dry run, leader, state persisted or in memory (and why), breaker, the latest run, and whether a
 * mutation can succeed from here at all ({@code tokenConfigured}: an API token exists; {@code mutationsHere}: the
 * mutating endpoints answer on the port this request arrived on, see {@code reconciler.api.mutating-on}). Never the
 * token itself.
 */
@Path("/api/v1/status")
@Produces(MediaType.APPLICATION_JSON)
public class StatusResource {

    /** The status. */
    public record Status(boolean armed, List<String> kinds, boolean leader, String leaderHolder, String stateMode,
            String stateReason, boolean breakerTripped, int breakerOpenTrips, boolean tokenConfigured, String mutatingOn,
            boolean mutationsHere, boolean scanning, RunsResource.RunSummary latestRun, String lastSuccessAt) {
    }

    @Inject
    ReconcilerConfig config;

    @Inject
    ApiConfig api;

    @Inject
    LeaderElection election;

    @Inject
    StateStore store;

    @Inject
    Breaker breaker;

    @Inject
    RunHistory history;

    @Inject
    ScanRunner runner;

    @Inject
    ManagementListener management;

    @GET
    @Blocking
    public Status status(@Context HttpServerRequest request) {
        LeaderStatus leader = election.status();
        BreakerStatus b = breaker.status();
        StateStore.Mode mode = store.mode();
        return new Status(RemediationPolicy.armedBy(config.remediation().dryRun()),
                config.remediation().kinds().orElse(List.of()).stream().map(String::trim).filter(k -> !k.isEmpty()).toList(),
                leader.leader(), leader.holder(), mode.name().toLowerCase(java.util.Locale.ROOT), store.reason(), b.tripped(),
                b.open().size(), api.token().filter(t -> !t.isBlank()).isPresent(), api.mutatingOn().name().toLowerCase(
                        java.util.Locale.ROOT),
                !management.hidesMutatingEndpointsFrom(request), runner.isScanning(),
                history.latest().map(RunsResource.RunSummary::of).orElse(null),
                history.latestSuccess().map(r -> r.finishedAt().toString()).orElse(null));
    }
}
