package dify.reconciler.api;

import dify.reconciler.remediate.RemediationService;
import dify.reconciler.remediate.record.RowQuarantine;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.sql.SQLException;
import java.util.List;

/**
 * {@code GET /api/v1/quarantine}: quarantined items neither restored nor purged, oldest first, paged. The rows'
 * content stays in our schema (it may hold tenants' settings); each item names its action, table and row id.
 */
@Path("/api/v1/quarantine")
@Produces(MediaType.APPLICATION_JSON)
public class QuarantineResource {

    public record Item(String store, String actionId, String action, String table, String rowId, String quarantinedAt) {
    }

    public record QuarantinePage(long total, int offset, int limit, List<Item> items) {
    }

    @Inject
    RemediationService remediation;

    @GET
    @Blocking
    public QuarantinePage items(@QueryParam("offset") String offset, @QueryParam("limit") String limit,
            @QueryParam("page") String page, @QueryParam("size") String size) throws SQLException {
        Paging paging = Paging.of(offset, limit, page, size);
        RestoreEndpoint.requirePersisted(remediation);
        RowQuarantine rows = remediation.rowQuarantine();
        List<Item> items = rows.page(paging.offset(), paging.limit()).stream().map(i -> new Item("rows", i.actionId(), i.action(),
                i.table(), i.rowId(), i.quarantinedAt().toString())).toList();
        return new QuarantinePage(rows.count(), paging.offset(), paging.limit(), items);
    }
}
