package dify.reconciler.remediate;

import dify.reconciler.metrics.MetricNames;
import dify.reconciler.remediate.planner.Remedies;
import dify.reconciler.remediate.record.ActionOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * {@code plugin_reconciler_remediation_actions_total}: one counter per kind, action and outcome. The {@code failed}
 * series of every remedy exist at 0 from start-up, so the first failure is an increase that
 * {@code PluginReconcilerRemediationFailing} sees (a series born at 1 has no increase inside its window).
 */
@Startup
@ApplicationScoped
public class RemediationActionCounters {

    private final MeterRegistry registry;

    @Inject
    public RemediationActionCounters(MeterRegistry registry) {
        this.registry = registry;
        // Every action a remedy can take, including plugin_unreferenced's second step (it quarantines plugin/U).
        Remedies.actions().forEach((kind, actions) -> actions.forEach(a -> counter(kind.label(), a.label(), ActionOutcome.FAILED)));
    }

    /** The counter of one kind, action and outcome (registered on first use). */
    public Counter counter(String kind, String action, ActionOutcome outcome) {
        return Counter.builder(MetricNames.REMEDIATION_ACTIONS).description("Remediation actions by kind, action and outcome")
                .tag(MetricNames.TAG_KIND, kind).tag(MetricNames.TAG_ACTION, action).tag(MetricNames.TAG_OUTCOME, outcome.label())
                .register(registry);
    }
}
