package dify.reconciler.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * How a finding is stored in the ledger since V13: its kind, subject, plugin identifier, plugin id and tenant in
 * columns of their own, and the rest in a compact JSON text (not jsonb: the merge only compares it) that holds no
 * null field and nothing the columns already say. The row, id and key are left out when the subject spells them
 * ({@code row:<table>/<id>}, {@code object:<key>}); a field that is present (null included) wins over what the
 * subject says, so a finding the subject does not describe exactly is stored exactly. {@code bytes} is left out when
 * it is the observed size (an object's). At a million findings this is a third of the bytes the full evidence took.
 * The view {@code finding_ledger} rebuilds the full evidence from the same rules in SQL (V13).
 */
public final class LedgerEvidence {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private LedgerEvidence() {
    }

    /**
     * The compact evidence of a finding: what the columns and its subject ({@link FindingIdentity#subject}) do not
     * already say. Written by {@link EvidenceText}, which the staging uses directly.
     */
    public static String encode(Finding f) {
        EvidenceText text = new EvidenceText();
        text.write(f);
        return text.toString();
    }

    /** The finding a ledger entry stores, from its columns and its compact evidence. */
    public static Finding decode(FindingKind kind, String subject, String pluginUniqueIdentifier, String pluginId,
            String tenantId, String evidence) {
        JsonNode e;
        try {
            e = MAPPER.readTree(evidence);
        } catch (IOException ex) {
            throw new UncheckedIOException("a ledger entry's evidence is not JSON: " + subject, ex);
        }
        Parts derived = Parts.of(subject);
        ObservedVersion observed = null;
        JsonNode o = e.get("observed");
        if (o != null && !o.isNull()) {
            observed = new ObservedVersion(instant(o, "changedAt"), o.hasNonNull("size") ? o.get("size").asLong() : null,
                    instant(o, "lastModified"), text(o, "etag"));
        }
        Long bytes = e.has("bytes")
                ? (e.get("bytes").isNull() ? null : e.get("bytes").asLong())
                : observed == null ? null : observed.size();
        return new Finding(kind, e.has("table") ? text(e, "table") : derived.table, e.has("id") ? text(e, "id") : derived.id,
                e.has("key") ? text(e, "key") : derived.key, pluginUniqueIdentifier, pluginId, tenantId, bytes,
                e.path("detail").asText(""), observed);
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }

    private static Instant instant(JsonNode n, String field) {
        return n.hasNonNull(field) ? Instant.parse(n.get(field).asText()) : null;
    }

    /**
     * The row and key a subject spells, read the simple way (the same in V13's view): {@code row:} then the table up
     * to the first {@code /} and the id after it; {@code object:} then the key; anything else names neither.
     */
    private record Parts(String table, String id, String key) {
        static Parts of(String subject) {
            if (subject.startsWith("row:")) {
                String rest = subject.substring(4);
                int slash = rest.indexOf('/');
                return slash < 0 ? new Parts(rest, null, null) : new Parts(rest.substring(0, slash), rest.substring(slash + 1), null);
            }
            if (subject.startsWith("object:")) {
                return new Parts(null, null, subject.substring(7));
            }
            return new Parts(null, null, null);
        }
    }
}
