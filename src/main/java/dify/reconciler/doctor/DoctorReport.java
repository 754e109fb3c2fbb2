package dify.reconciler.doctor;

import java.util.Comparator;
import java.util.List;

/**
 * The doctor's answer, the JSON of {@code doctor --format json} and {@code GET /api/v1/doctor}:
 * {@code {"checks": [{"name", "status", "detail", "fix"}]}}.
 */
public record DoctorReport(List<DoctorCheck> checks) {

    public DoctorReport {
        checks = List.copyOf(checks);
    }

    /** The worst status of any line; ok for no line. */
    public DoctorStatus worst() {
        return checks.stream().map(DoctorCheck::status).max(Comparator.naturalOrder()).orElse(DoctorStatus.OK);
    }

    /** One line per check, then its fix indented under it, then a summary line. */
    public String text() {
        StringBuilder out = new StringBuilder();
        for (DoctorCheck c : checks) {
            out.append(String.format(java.util.Locale.ROOT, "%-4s %s: %s%n", c.status().label().toUpperCase(java.util.Locale.ROOT),
                    c.name(), c.detail()));
            if (c.fix() != null) {
                out.append("     fix: ").append(c.fix()).append(System.lineSeparator());
            }
        }
        long warnings = checks.stream().filter(c -> c.status() == DoctorStatus.WARN).count();
        long failures = checks.stream().filter(c -> c.status() == DoctorStatus.FAIL).count();
        out.append(String.format(java.util.Locale.ROOT, "doctor: %d check(s), %d warning(s), %d failure(s)%n", checks.size(), warnings,
                failures));
        return out.toString();
    }
}
