package dify.reconciler.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.Severity;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.ProcessMode;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.leader.LeaderElection;
import dify.reconciler.metrics.MetricNames;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.ReportDocument;
import dify.reconciler.state.LedgerView;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A check that was asked for but could not run is visible in the metrics and in the report's JSON, and the gauge
 * goes back to 0 once a successful scan runs it; a failed scan changes nothing (its numbers are no verdict).
 */
class CheckNotRunMetricTest {

    private static final String TENANTS = FindingKind.INSTALLATION_TENANT_MISSING.label();

    @Test
    void theGaugeFollowsTheLastSuccessfulScanAndTheReportNamesTheReason() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Map<String, String> env = Map.of("DB_HOST", "db", "DB_USERNAME", "u", "PLUGIN_STORAGE_TYPE", "local",
                "PLUGIN_STORAGE_LOCAL_ROOT", "/tmp");
        ReconcilerConfig config = new SmallRyeConfigBuilder().withMapping(ReconcilerConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(Map.of(), "test", 300)).build().getConfigMapping(ReconcilerConfig.class);
        ReconcilerMetrics metrics = new ReconcilerMetrics(registry, DaemonSettings.from(name -> Optional.ofNullable(env.get(name))),
                config, "test", ProcessMode.ONE_SHOT, new LeaderElection());
        assertEquals(0.0, gauge(registry), "0 from start-up");

        String reason = "the user may not SELECT \"public\".\"tenants\" in Dify's database …";
        ScanReport skipped = report(ScanReport.Result.SUCCESS, Map.of(TENANTS, reason));
        metrics.onScan(skipped);
        assertEquals(1.0, gauge(registry));
        assertEquals(Map.of(TENANTS, reason), ReportDocument.of(skipped).scanned().get("checksNotRun"));

        metrics.onScan(report(ScanReport.Result.FAILURE, Map.of()));
        assertEquals(1.0, gauge(registry), "a failed scan is no verdict");
        metrics.onScan(report(ScanReport.Result.SUCCESS, Map.of()));
        assertEquals(0.0, gauge(registry));
    }

    private static double gauge(SimpleMeterRegistry registry) {
        return registry.get(MetricNames.CHECK_NOT_RUN).tag("kind", TENANTS).gauge().value();
    }

    private static ScanReport report(ScanReport.Result result, Map<String, String> checksNotRun) {
        Instant started = Instant.parse("2026-12-01T00:00:00Z");
        boolean ok = result == ScanReport.Result.SUCCESS;
        Map<FindingKind, Long> byKind = new EnumMap<>(FindingKind.class);
        for (FindingKind k : FindingKind.values()) {
            byKind.put(k, 0L);
        }
        Map<Severity, Long> bySeverity = new EnumMap<>(Severity.class);
        for (Severity s : Severity.values()) {
            bySeverity.put(s, 0L);
        }
        ScanReport.Scope scope = new ScanReport.Scope("local", "local:/tmp", "postgresql://db:5432/dify_plugin", false,
                Duration.ofHours(1), Map.of(), Map.of(), List.of(), null, checksNotRun, 0, 0);
        return new ScanReport("run", started, started.plusSeconds(1), result, ok ? null : "boom", ok ? null : "database", scope,
                List.of(), false, ok ? new ScanReport.Summary(0, byKind, bySeverity, Map.of(), 0, 0, 0, 0) : null,
                Map.of("total", Duration.ofSeconds(1)), List.of(), new ScanReport.State("memory", "test"), LedgerView.EMPTY);
    }
}
