package dify.reconciler.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.remediate.RemediationService;
import dify.reconciler.remediate.Restores;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.AuditLog;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code GET /api/v1/actions}: the remediation audit, newest first, filtered by {@code kind}, {@code outcome},
 * {@code run} and {@code plan}, paged like the findings; each item says whether a restore of it would act now
 * ({@code restorable}). {@code POST /api/v1/actions/{id}/restore} puts that
 * action's quarantined rows back (a {@link MutatingEndpoint}); action ids contain a slash ({@code <plan>/<n>}).
 */
@Path("/api/v1/actions")
@Produces(MediaType.APPLICATION_JSON)
public class ActionsResource {

    public record Action(long seq, String actionId, String runId, String planId, String instance, String kind, String action,
            String table, String rowId, String objectKey, String targetKey, JsonNode before, JsonNode after, String outcome,
            String detail, String cache, String at, String approvedBy, boolean restorable) {
    }

    public record ActionsPage(long total, int offset, int limit, List<Action> actions) {
    }

    @Inject
    RemediationService remediation;

    @Inject
    RestoreEndpoint restore;

    @Inject
    Restores restores;

    @Inject
    ObjectMapper mapper;

    @GET
    @Blocking
    public ActionsPage actions(@QueryParam("kind") String kind, @QueryParam("outcome") String outcome,
            @QueryParam("run") String run, @QueryParam("plan") String plan, @QueryParam("offset") String offset,
            @QueryParam("limit") String limit, @QueryParam("page") String page, @QueryParam("size") String size)
            throws SQLException, IOException {
        Paging paging = Paging.of(offset, limit, page, size);
        RestoreEndpoint.requirePersisted(remediation);
        AuditLog.Filter filter = new AuditLog.Filter(kind(kind), outcome(outcome), blankToNull(run), blankToNull(plan));
        AuditLog.Page p = remediation.auditLog().page(filter, paging.offset(), paging.limit());
        List<Action> actions = new ArrayList<>();
        for (AuditLog.Entry e : p.entries()) {
            actions.add(new Action(e.seq(), e.actionId(), e.runId(), e.planId(), e.instance(), e.kind(), e.action(), e.table(),
                    e.rowId(), e.objectKey(), e.targetKey(), json(e.before()), json(e.after()), e.outcome(), e.detail(), e.cache(),
                    e.at().toString(), e.approvedBy(), restorable(e)));
        }
        return new ActionsPage(p.total(), paging.offset(), paging.limit(), actions);
    }

    @POST
    @Path("/{id: .+}/restore")
    @MutatingEndpoint
    @Blocking
    public Response restore(@PathParam("id") String id) {
        return restore.restore(Restores.Selection.action(id), "action " + id);
    }

    /**
     * Whether a restore of this action would act now: an applied action with quarantined rows or objects (or objects we
     * created) neither restored nor purged. What {@code POST …/restore} would restore, asked of the same stores.
     */
    private boolean restorable(AuditLog.Entry e) throws SQLException {
        return ActionOutcome.APPLIED.label().equals(e.outcome()) && !restores.pending(Restores.Selection.action(e.actionId())).isEmpty();
    }

    private JsonNode json(String text) throws IOException {
        return text == null ? null : mapper.readTree(text);
    }

    /** A finding kind, or {@code restore}/{@code purge} (the audit's own kinds). */
    private static String kind(String value) {
        String v = blankToNull(value);
        if (v == null || v.equals("restore") || v.equals("purge")) {
            return v;
        }
        try {
            return FindingKind.parse(v).label();
        } catch (IllegalArgumentException e) {
            List<String> allowed = new ArrayList<>(Arrays.stream(FindingKind.values()).map(FindingKind::label).toList());
            allowed.add("restore");
            allowed.add("purge");
            throw new ApiException(Response.Status.BAD_REQUEST, "kind='" + value + "' is not an audited kind", allowed);
        }
    }

    private static String outcome(String value) {
        String v = blankToNull(value);
        if (v == null) {
            return null;
        }
        List<String> allowed = Arrays.stream(ActionOutcome.values()).map(ActionOutcome::label).toList();
        if (!allowed.contains(v)) {
            throw new ApiException(Response.Status.BAD_REQUEST, "outcome='" + value + "' is not an outcome", allowed);
        }
        return v;
    }

    private static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v.trim();
    }
}
