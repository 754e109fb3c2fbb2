package dify.reconciler.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.detect.FindingSink;
import dify.reconciler.run.DriftFixture.Store;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.SchemaFixture;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A package deep verify cannot judge (here: its first entry flagged as encrypted, which the daemon's
 * packager never writes) is neither clean nor drift: no finding, but a count in the summary, not only a note.
 */
class UnverifiablePackageTest {

    @ParameterizedTest
    @EnumSource(Store.class)
    void aPackageDeepVerifyCannotReadIsCountedNotCalledClean(Store store) {
        try (DriftFixture f = new DriftFixture(store, SchemaFixture.CURRENT)) {
            BuiltPackage pkg = f.dataset.localPlugin(0).pkg();
            byte[] encrypted = pkg.bytes().clone();
            encrypted[6] |= 0x1; // general purpose flag bit 0 of the first local file header: "encrypted"
            String key = pkg.key(f.layout.packages());
            f.put(key, encrypted);

            FindingSink sink = f.scan(true);

            assertEquals(Map.of(), DriftFixture.counts(sink), () -> "findings: " + sink.findings());
            assertEquals(1, sink.packagesUnverified());
            assertTrue(sink.notes().stream().anyMatch(n -> n.startsWith(key + " was not verified")), sink.notes()::toString);
        }
    }
}
