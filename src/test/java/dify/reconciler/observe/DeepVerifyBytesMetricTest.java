package dify.reconciler.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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
 * What deep verify downloaded adds up in {@code plugin_reconciler_deep_verify_bytes_read_total}, failed scans included
 * (the bytes were read all the same), and each report says it in {@code scanned} when deep verify is on.
 */
class DeepVerifyBytesMetricTest {

    @Test
    void theCounterAddsEachScansBytesAndTheReportCarriesThem() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Map<String, String> env = Map.of("DB_HOST", "db", "DB_USERNAME", "u", "PLUGIN_STORAGE_TYPE", "local",
                "PLUGIN_STORAGE_LOCAL_ROOT", "/tmp");
        ReconcilerConfig config = new SmallRyeConfigBuilder().withMapping(ReconcilerConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(Map.of(), "test", 300)).build().getConfigMapping(ReconcilerConfig.class);
        ReconcilerMetrics metrics = new ReconcilerMetrics(registry, DaemonSettings.from(name -> Optional.ofNullable(env.get(name))),
                config, "test", ProcessMode.ONE_SHOT, new LeaderElection());
        assertEquals(0.0, counter(registry), "0 from start-up");

        ScanReport first = report(ScanReport.Result.SUCCESS, true, 1_000_000, 0);
        metrics.onScan(first);
        ScanReport second = report(ScanReport.Result.SUCCESS, true, 5_000, 299);
        metrics.onScan(second);
        metrics.onScan(report(ScanReport.Result.FAILURE, true, 700, 0));
        assertEquals(1_005_700.0, counter(registry));
        assertEquals(5_000L, ReportDocument.of(second).scanned().get("packageBytesRead"));
        assertEquals(299L, ReportDocument.of(second).scanned().get("packagesVerifiedFromCache"));
        assertFalse(ReportDocument.of(report(ScanReport.Result.SUCCESS, false, 0, 0)).scanned().containsKey("packageBytesRead"),
                "only when deep verify is on");
    }

    private static double counter(SimpleMeterRegistry registry) {
        return registry.get(MetricNames.DEEP_VERIFY_BYTES_READ).counter().count();
    }

    private static ScanReport report(ScanReport.Result result, boolean deepVerify, long bytesRead, long fromCache) {
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
        ScanReport.Scope scope = new ScanReport.Scope("local", "local:/tmp", "postgresql://db:5432/dify_plugin", deepVerify,
                Duration.ofHours(1), Map.of(), Map.of(), List.of(), null, Map.of(), bytesRead, fromCache);
        return new ScanReport("run", started, started.plusSeconds(1), result, ok ? null : "boom", ok ? null : "working_path", scope,
                List.of(), false, ok ? new ScanReport.Summary(0, byKind, bySeverity, Map.of(), 0, 0, 0, 0) : null,
                Map.of("total", Duration.ofSeconds(1)), List.of(), new ScanReport.State("memory", "test"), LedgerView.EMPTY);
    }
}
