package dify.reconciler.notify;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.Severity;
import dify.reconciler.report.ScanReport;
import dify.reconciler.state.FindingIdentity;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The critical findings of a successful scan, as a set: each finding's identity (kind and the row or object it is
 * about, {@link FindingIdentity}), not its detail, so the same drift seen again is the same set. The fingerprint also
 * covers the exact count per critical kind: a report cut at {@code reconciler.max-findings-per-report} lists only some
 * findings, and a change beyond the cut still changes the counts.
 */
public record CriticalSet(List<Finding> findings, Map<FindingKind, Long> countsByKind, String fingerprint) {

    public static CriticalSet of(ScanReport report) {
        List<Finding> critical = report.findings().stream().filter(f -> f.severity() == Severity.CRITICAL).toList();
        Map<FindingKind, Long> counts = new TreeMap<>();
        report.summary().byKind().forEach((kind, n) -> {
            if (kind.severity() == Severity.CRITICAL && n > 0) {
                counts.put(kind, n);
            }
        });
        List<String> identities = new ArrayList<>(critical.stream().map(FindingIdentity::of).toList());
        identities.sort(null);
        StringBuilder canonical = new StringBuilder();
        counts.forEach((kind, n) -> canonical.append(kind.label()).append('=').append(n).append('\n'));
        identities.forEach(id -> canonical.append(id).append('\n'));
        return new CriticalSet(critical, counts, sha256(canonical.toString()));
    }

    public long total() {
        return countsByKind.values().stream().mapToLong(Long::longValue).sum();
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
