package dify.reconciler.run;

import dify.reconciler.detect.FindingSink;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.state.TestStateStores;
import dify.reconciler.state.VerifiedObjects;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.DifyPackageBuilder;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.StoreUnderTest;
import dify.reconciler.testsupport.StoresUnderTest;
import dify.reconciler.testsupport.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Bytes read (and time taken) by a first and a second deep verify of an unchanged bucket, and of a third one after
 * one package was rewritten, for docs/benchmark.md. Seeds {@code PACKAGES} packages of {@code BYTES} each (and as many
 * installed copies) into a real store (S3Proxy or a local folder) and keeps the cache in a real PostgreSQL.
 * Lives next to {@link Scan} because {@link DeepVerifier} is package-private; test scope, so the jar does not grow.
 *
 * <pre>
 * ./mvnw -B -ntp -o -q test-compile
 * ./mvnw -B -ntp -o -q dependency:build-classpath -Dmdep.outputFile=target/test.cp -Dmdep.includeScope=test
 * java -cp "target/test-classes:target/classes:$(cat target/test.cp)" dify.reconciler.run.DeepVerifyBenchmark s3 100 262144
 * </pre>
 *
 * Arguments: the store ({@code s3} or {@code local}), the number of packages, the size of each in bytes.
 */
public final class DeepVerifyBenchmark {

    private DeepVerifyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String backend = args.length > 0 ? args[0] : "s3";
        int packages = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int bytes = args.length > 2 ? Integer.parseInt(args[2]) : 1_000_000;
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase(); StoreUnderTest store = StoresUnderTest.named(backend).open()) {
            BuiltPackage first = null;
            for (int i = 0; i < packages; i++) {
                BuiltPackage pkg = DifyPackageBuilder.aPackage().author("bench").name("plugin" + i).version("1.0." + i)
                        .paddedTo(bytes, i).build();
                store.writer().put(pkg.key("plugin_packages/"), pkg.bytes());
                store.writer().put(pkg.key("plugin/"), pkg.bytes());
                first = first == null ? pkg : first;
            }
            VerifiedObjects cache = new VerifiedObjects(TestStateStores.on(db.dataSource()), db.dataSource());
            Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
            System.out.printf(Locale.ROOT, "backend=%s packages=%d installed=%d bytes_each=%d persisted=%s%n", backend, packages,
                    packages, bytes, cache.persisted());
            run(store, cache, now, "first");
            run(store, cache, now.plusSeconds(600), "second (unchanged)");
            store.writer().put(first.key("plugin_packages/"), DifyPackageBuilder.aPackage().author("bench").name("plugin0")
                    .version("1.0.0").file("main.py", "print('rewritten')\n").paddedTo(bytes, 999_999).build().bytes());
            run(store, cache, now.plusSeconds(1200), "third (one package rewritten)");
        }
    }

    private static void run(StoreUnderTest store, VerifiedObjects cache, Instant now, String label) {
        FindingSink sink = new FindingSink(1000);
        DeepVerifier verifier = new DeepVerifier(store.storage(), sink,
                new DeepVerifier.Caching(cache, now, Duration.ofDays(7), 1_000_000));
        List<StoredObject> packages = list(store, "plugin_packages/");
        List<StoredObject> installed = list(store, "plugin/");
        long total = Stream.concat(packages.stream(), installed.stream()).mapToLong(StoredObject::size).sum();
        long t0 = System.nanoTime();
        verifier.verify("plugin_packages/", packages, "plugin/", installed);
        double seconds = (System.nanoTime() - t0) / 1e9;
        DeepVerifier.Counts c = verifier.counts();
        System.out.printf(Locale.ROOT, "%-32s listed_bytes=%d bytes_read=%d (%.2f %%) from_cache=%d findings=%d verify_seconds=%.2f%n",
                label, total, c.packageBytesRead(), 100.0 * c.packageBytesRead() / total, c.packagesVerifiedFromCache(), sink.total(),
                seconds);
    }

    private static List<StoredObject> list(StoreUnderTest store, String prefix) {
        try (Stream<StoredObject> s = store.storage().list(prefix)) {
            return s.toList();
        }
    }
}
