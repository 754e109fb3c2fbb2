package dify.reconciler.doctor;

/**
 * One precondition: what was checked ({@code name}), the result, what was seen ({@code detail}) and what to do about
 * it ({@code fix}, null when there is nothing to do).
 */
public record DoctorCheck(String name, DoctorStatus status, String detail, String fix) {

    public static DoctorCheck ok(String name, String detail) {
        return new DoctorCheck(name, DoctorStatus.OK, detail, null);
    }

    public static DoctorCheck warn(String name, String detail, String fix) {
        return new DoctorCheck(name, DoctorStatus.WARN, detail, fix);
    }

    public static DoctorCheck fail(String name, String detail, String fix) {
        return new DoctorCheck(name, DoctorStatus.FAIL, detail, fix);
    }

    /** The same line with {@code redaction} applied to its detail and fix. */
    DoctorCheck redacted(java.util.function.UnaryOperator<String> redaction) {
        return new DoctorCheck(name, status, detail == null ? null : redaction.apply(detail), fix == null ? null : redaction.apply(fix));
    }
}
