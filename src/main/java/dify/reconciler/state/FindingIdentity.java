package dify.reconciler.state;

import dify.reconciler.catalog.Finding;

/**
 * The identity of a finding across scans: its kind and its subject (the row it is about, the object it is
 * about, or both). Two scans that report the same kind about the same row or key report the same finding.
 */
public final class FindingIdentity {

    private FindingIdentity() {
    }

    /** {@code row:<table>/<id>}, {@code object:<key>}, or both separated by a space. */
    public static String subject(Finding f) {
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
            // No row and no key (none of today's kinds): the detail is the only thing that tells it apart.
            subject.append("detail:").append(f.detail());
        }
        return subject.toString();
    }

    /** Kind and subject in one string, for maps keyed by finding. */
    public static String of(Finding f) {
        return f.kind().label() + ' ' + subject(f);
    }
}
