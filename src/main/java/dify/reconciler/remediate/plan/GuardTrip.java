package dify.reconciler.remediate.plan;

/** A guard that tripped, and what it saw (no secrets, no row contents: counts, prefixes, table names). */
public record GuardTrip(GuardName guard, String detail) {
}
