package dify.reconciler.testsupport;

import dify.reconciler.testsupport.BucketPolicy.Permission;
import dify.reconciler.testsupport.FaultyHttpProxy.Fault;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A bucket policy enforced in front of S3Proxy (which enforces none): every request is classified
 * ({@link S3Request}), checked against the current {@link BucketPolicy} and recorded; one the policy does not
 * allow is answered as S3 answers it, HTTP 403 with an {@code AccessDenied} XML error, and never reaches S3Proxy.
 */
public final class BucketPolicyProxy implements AutoCloseable {

    /** One request seen, the policy in force, and the permissions it lacked ({@code denied}; empty: allowed). */
    public record Call(S3Request request, BucketPolicy policy, List<Permission> denied) {
        public boolean allowed() {
            return denied.isEmpty();
        }

        @Override
        public String toString() {
            return (allowed() ? "allowed " : "DENIED  ") + request + (allowed() ? "" : " lacks " + denied);
        }
    }

    private final FaultyHttpProxy proxy;
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final List<Call> history = new CopyOnWriteArrayList<>();
    private volatile BucketPolicy policy;

    private BucketPolicyProxy(URI upstream, BucketPolicy policy) {
        this.policy = policy;
        this.proxy = FaultyHttpProxy.to(upstream);
        proxy.policy(r -> {
            S3Request request = S3Request.of(r.method(), r.target(), r.headers());
            BucketPolicy current = this.policy;
            List<Permission> denied = request.needs().stream().filter(p -> !current.allows(p)).toList();
            Call call = new Call(request, current, denied);
            calls.add(call);
            history.add(call);
            return denied.isEmpty() ? Fault.PASS : new Fault.Status(403);
        });
    }

    /** Starts a proxy to S3Proxy at {@code upstream} enforcing {@code policy}. */
    public static BucketPolicyProxy to(URI upstream, BucketPolicy policy) {
        return new BucketPolicyProxy(upstream, policy);
    }

    public URI endpoint() {
        return proxy.endpoint();
    }

    /** Enforces another policy from the next request on, and starts a fresh record. */
    public void enforce(BucketPolicy policy) {
        this.policy = policy;
        calls.clear();
    }

    /** Every request since start or the last {@link #enforce}, in arrival order. */
    public List<Call> calls() {
        return List.copyOf(calls);
    }

    /** Every request since start, whatever policy was in force. */
    public List<Call> history() {
        return List.copyOf(history);
    }

    /** Every request since start that met this policy (the same instance). */
    public List<Call> callsUnder(BucketPolicy policy) {
        return history.stream().filter(c -> c.policy() == policy).toList();
    }

    public List<Call> denied() {
        return calls.stream().filter(c -> !c.allowed()).toList();
    }

    @Override
    public void close() {
        proxy.close();
    }
}
