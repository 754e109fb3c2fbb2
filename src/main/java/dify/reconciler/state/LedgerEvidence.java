package dify.reconciler.state;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Objects;

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

    private static final JsonStringEncoder JSON = JsonStringEncoder.getInstance();
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private LedgerEvidence() {
    }

    /** The compact evidence of a finding: what the columns and the subject do not already say. */
    public static String encode(Finding f, String subject) {
        StringBuilder out = new StringBuilder(160);
        out.append('{');
        Parts derived = Parts.of(subject);
        if (!Objects.equals(derived.table, f.table())) {
            field(out, "table", f.table());
        }
        if (!Objects.equals(derived.id, f.id())) {
            field(out, "id", f.id());
        }
        if (!Objects.equals(derived.key, f.key())) {
            field(out, "key", f.key());
        }
        Long observedSize = f.observed() == null ? null : f.observed().size();
        if (!Objects.equals(observedSize, f.bytes())) {
            name(out, "bytes").append(f.bytes() == null ? "null" : f.bytes().toString());
        }
        field(out, "detail", f.detail());
        ObservedVersion o = f.observed();
        if (o != null) {
            name(out, "observed").append('{');
            int start = out.length();
            if (o.changedAt() != null) {
                field(out, "changedAt", o.changedAt().toString());
            }
            if (o.size() != null) {
                name(out, "size").append(o.size());
            }
            if (o.lastModified() != null) {
                field(out, "lastModified", o.lastModified().toString());
            }
            if (o.etag() != null) {
                field(out, "etag", o.etag());
            }
            if (out.length() > start && out.charAt(start) == ',') {
                out.deleteCharAt(start);
            }
            out.append('}');
        }
        if (out.length() > 1 && out.charAt(1) == ',') {
            out.deleteCharAt(1);
        }
        return out.append('}').toString();
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

    private static StringBuilder name(StringBuilder out, String name) {
        return out.append(",\"").append(name).append("\":");
    }

    private static void field(StringBuilder out, String name, String value) {
        name(out, name);
        if (value == null) {
            out.append("null");
        } else {
            out.append('"');
            JSON.quoteAsString(value, out);
            out.append('"');
        }
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
