package dify.reconciler.detect;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.declaration.DeclarationRules;
import dify.reconciler.declaration.DeclarationViolation;
import dify.reconciler.inventory.DeclarationText;
import dify.reconciler.inventory.TenantSample;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks each installed declaration against the rules Dify's API applies when it parses the daemon's management
 * lists ({@link DeclarationRules}). Declarations arrive one at a time from a cursor; only the broken ones are kept,
 * each with its first {@value #VIOLATIONS_NAMED} violations, until the tenants who see the broken page are counted.
 *
 * <p>No grace period: the daemon writes a declaration whole, once, at upload, so a young one is not half-written, and
 * a broken one breaks the page from the first install on.
 */
public final class DeclarationDetector {

    /** Violations named in a finding's detail; the rest are counted. */
    static final int VIOLATIONS_NAMED = 3;
    /** Tenant ids named in a finding's detail; the rest are counted. */
    public static final int TENANTS_NAMED = 5;

    private final DeclarationRules rules;
    private final FindingSink sink;
    private final List<Broken> broken = new ArrayList<>();

    private record Broken(DeclarationText row, List<DeclarationViolation> named, int total, Set<String> pages) {
    }

    public DeclarationDetector(DeclarationRules rules, FindingSink sink) {
        this.rules = rules;
        this.sink = sink;
    }

    public void check(DeclarationText row) {
        List<DeclarationViolation> violations;
        try {
            violations = rules.check(row.json());
        } catch (IllegalArgumentException notJson) {
            return; // the daemon cannot read it either; the asset check already notes unreadable declarations
        }
        if (violations.isEmpty()) {
            return;
        }
        Set<String> pages = new LinkedHashSet<>();
        violations.forEach(v -> v.pages().forEach(page -> pages.add(page.toString())));
        broken.add(new Broken(new DeclarationText(row.id(), row.uid(), row.pluginId(), row.changedAt(), null),
                List.copyOf(violations.subList(0, Math.min(VIOLATIONS_NAMED, violations.size()))), violations.size(),
                pages));
    }

    /** The identifiers whose declaration is broken: the tenants of these are counted next. */
    public Set<String> brokenUids() {
        Set<String> uids = new LinkedHashSet<>();
        broken.forEach(b -> uids.add(b.row().uid()));
        return uids;
    }

    public void report(Map<String, TenantSample> tenantsByUid) {
        for (Broken b : broken) {
            TenantSample tenants = tenantsByUid.getOrDefault(b.row().uid(), new TenantSample(0, List.of()));
            sink.add(Finding.row(FindingKind.DECLARATION_INVALID, "plugin_declarations", b.row().id(), b.row().uid(),
                    b.row().pluginId(), null, ObservedVersion.row(b.row().changedAt()), detail(b, tenants)));
        }
        broken.clear();
    }

    private String detail(Broken b, TenantSample tenants) {
        StringBuilder s = new StringBuilder("Dify ").append(rules.difyRelease()).append(" cannot parse this declaration: ");
        for (int i = 0; i < b.named().size(); i++) {
            s.append(i == 0 ? "" : "; ").append(b.named().get(i).describe());
        }
        if (b.total() > b.named().size()) {
            s.append(" (and ").append(b.total() - b.named().size()).append(" more)");
        }
        s.append(b.pages().size() == 1 ? ". Page that fails" : ". Pages that fail")
                .append(" with 'Failed to parse response from plugin daemon to PluginDaemonBasicResponse': ")
                .append(String.join(", ", b.pages()))
                .append(", for every workspace that installed the plugin: ").append(tenants.count()).append(" tenant(s)");
        if (!tenants.first().isEmpty()) {
            s.append(", e.g. ").append(String.join(", ", tenants.first()));
        }
        return s.append(". Fix: install a plugin version whose declaration passes (report-only)").toString();
    }
}
