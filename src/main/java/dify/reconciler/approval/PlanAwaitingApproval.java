package dify.reconciler.approval;

/** Fired (CDI) once when a plan is published for approval; the webhook observes it. */
public record PlanAwaitingApproval(PublishedPlan plan) {
}
