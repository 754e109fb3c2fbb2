package dify.reconciler.run;

import java.util.Optional;
import java.util.function.Function;

/**
 * The node (pod) a node-local check read its data on: the working path is one per daemon node, so a report about it
 * must say which node. {@code reconciler.node-name} when set, else {@code POD_NAME} (the downward API), else
 * {@code HOSTNAME} (a pod's own name in Kubernetes, the container id in Compose).
 */
final class NodeName {

    static final String UNKNOWN = "unknown";

    private NodeName() {
    }

    static String of(Optional<String> configured, Function<String, Optional<String>> get) {
        return configured.map(String::trim).filter(n -> !n.isEmpty())
                .or(() -> get.apply("POD_NAME").map(String::trim).filter(n -> !n.isEmpty()))
                .or(() -> get.apply("HOSTNAME").map(String::trim).filter(n -> !n.isEmpty()))
                .orElse(UNKNOWN);
    }
}
