package dify.reconciler.observe;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Set;

/** Runs the service with {@link BreakableStorage} in place of the configured storage. */
public class BreakableStorageProfile implements QuarkusTestProfile {

    @Override
    public Set<Class<?>> getEnabledAlternatives() {
        return Set.of(BreakableStorage.class);
    }
}
