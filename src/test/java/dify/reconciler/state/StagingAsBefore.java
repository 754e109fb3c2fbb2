package dify.reconciler.state;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.ObservedVersion;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The staging of findings as it was before it was made faster (main at 1c16bbb: {@code PostgresLedgerUpdate.stage},
 * {@code FindingIdentity.subject}, {@code LedgerEvidence.encode}, {@code StagingDictionary}, {@code CopyChunk.row}),
 * frozen here so that {@link StagedRowEncoderTest} can prove the fast encoder stages the same bytes. Do not
 * change it to follow the production code: it is the yardstick.
 */
final class StagingAsBefore {

    private static final JsonStringEncoder JSON = JsonStringEncoder.getInstance();

    private final Map<String, Integer> codes = new HashMap<>();
    private final List<String> values = new ArrayList<>();
    private long chars;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** The COPY text of every finding staged so far. */
    byte[] copyText() {
        return out.toByteArray();
    }

    /** The dictionary's values by code. */
    String[] values() {
        return values.toArray(String[]::new);
    }

    void stage(Finding finding) {
        String subject = subject(finding);
        Integer identifier = code(finding.pluginUniqueIdentifier());
        Integer plugin = code(finding.pluginId());
        Integer tenant = code(finding.tenantId());
        String evidence = evidence(finding, subject);
        Integer evidenceCode = code(evidence);
        row(Integer.toString(java.util.Arrays.asList(dify.reconciler.catalog.FindingKind.values()).indexOf(finding.kind()) + 1), subject,
                text(identifier),
                identifier == null ? finding.pluginUniqueIdentifier() : null, text(plugin), plugin == null ? finding.pluginId() : null,
                text(tenant), tenant == null ? finding.tenantId() : null, text(evidenceCode), evidenceCode == null ? evidence : null);
    }

    private static String text(Integer code) {
        return code == null ? null : code.toString();
    }

    private Integer code(String value) {
        if (value == null) {
            return null;
        }
        Integer code = codes.get(value);
        if (code == null && values.size() < 4096 && chars + value.length() <= (1 << 20)) {
            values.add(value);
            chars += value.length();
            code = values.size();
            codes.put(value, code);
        }
        return code;
    }

    private void row(String... values) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                line.append('\t');
            }
            if (values[i] == null) {
                line.append("\\N");
            } else {
                for (int c = 0; c < values[i].length(); c++) {
                    char ch = values[i].charAt(c);
                    switch (ch) {
                        case '\\' -> line.append("\\\\");
                        case '\t' -> line.append("\\t");
                        case '\n' -> line.append("\\n");
                        case '\r' -> line.append("\\r");
                        default -> line.append(ch);
                    }
                }
            }
        }
        line.append('\n');
        out.writeBytes(line.toString().getBytes(StandardCharsets.UTF_8));
    }

    static String subject(Finding f) {
        StringBuilder subject = new StringBuilder();
        if (f.table() != null) {
            subject.append("row:").append(f.table()).append('/').append(f.id());
        }
        if (f.key() != null) {
            if (subject.length() > 0) {
                subject.append(' ');
            }
            subject.append("object:").append(f.key());
        }
        if (subject.length() == 0) {
            subject.append("detail:").append(f.detail());
        }
        return subject.toString();
    }

    static String evidence(Finding f, String subject) {
        StringBuilder out = new StringBuilder(160);
        out.append('{');
        String[] derived = parts(subject);
        if (!Objects.equals(derived[0], f.table())) {
            field(out, "table", f.table());
        }
        if (!Objects.equals(derived[1], f.id())) {
            field(out, "id", f.id());
        }
        if (!Objects.equals(derived[2], f.key())) {
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

    private static String[] parts(String subject) {
        if (subject.startsWith("row:")) {
            String rest = subject.substring(4);
            int slash = rest.indexOf('/');
            return slash < 0 ? new String[] {rest, null, null} : new String[] {rest.substring(0, slash), rest.substring(slash + 1), null};
        }
        if (subject.startsWith("object:")) {
            return new String[] {null, null, subject.substring(7)};
        }
        return new String[] {null, null, null};
    }
}
