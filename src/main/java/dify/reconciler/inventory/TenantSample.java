package dify.reconciler.inventory;

import java.util.List;

/** How many tenants installed an identifier, and the first few of them (counted in PostgreSQL). */
public record TenantSample(long count, List<String> first) {
}
