package dify.reconciler.testsupport;

import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.StorageProducer;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.S3Timeouts;
import dify.reconciler.inventory.storage.StorageRequestListener;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Every storage backend the tests written once run on: one line per backend. A test parameterised with
 * {@code @MethodSource("dify.reconciler.testsupport.StoresUnderTest#all")} gets a factory per backend and opens a
 * fresh store per case.
 */
public final class StoresUnderTest {

    /** A named factory, so a parameterised test's display name says which backend failed. */
    public record Backend(String name, Supplier<StoreUnderTest> factory) {

        public StoreUnderTest open() {
            return factory.get();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** One line per backend. */
    private static final List<Backend> BACKENDS = List.of(
            new Backend("local", LocalStoreUnderTest::new),
            new Backend("s3", S3StoreUnderTest::new),
            new Backend("aliyun_oss", S3CompatibleStore::aliyun),
            new Backend("tencent_cos", S3CompatibleStore::tencent),
            new Backend("huawei_obs", S3CompatibleStore::huawei),
            new Backend("volcengine_tos", S3CompatibleStore::volcengine),
            new Backend("baidu_bos", S3CompatibleStore::baidu),
            new Backend("azure_blob", AzureStoreUnderTest::new),
            new Backend("gcs", GcsStoreUnderTest::new));

    /**
     * One backend of each distinct adapter: local, S3, Azure Blob, GCS, and Aliyun OSS for the S3-compatible clouds (the
     * one with a root folder, {@code ALIYUN_OSS_PATH}). The other S3-compatible clouds are the same S3 adapter with
     * other variables and host names: the default suite proves each guarantee on these five, the sweep
     * ({@link Sweep}) repeats it on the other four.
     */
    public static final List<String> DISTINCT_ADAPTERS = List.of("local", "s3", "aliyun_oss", "azure_blob", "gcs");

    private StoresUnderTest() {
    }

    /**
     * The backends of this run ({@link Sweep}): in the default suite the {@link #DISTINCT_ADAPTERS}, in the sweep the
     * other S3-compatible clouds; those named by {@code test.stores} when it is set, whichever half runs. A test using
     * it carries {@code @Tag(Sweep.TAG)}.
     */
    public static List<Backend> all() {
        if (narrowed()) {
            return every();
        }
        return Sweep.part(every(), b -> DISTINCT_ADAPTERS.contains(b.name()));
    }

    /** Whether {@code test.stores} names the backends to run (while developing one). */
    public static boolean narrowed() {
        return !System.getProperty("test.stores", "").isBlank();
    }

    /**
     * Every backend, or those named in the system property {@code test.stores} (comma-separated, e.g.
     * {@code -Dtest.stores=azure_blob}) to try one backend while developing it; CI sets none, so all run. For a test
     * that splits its cases per backend itself; {@link #all} splits by backend.
     */
    public static List<Backend> every() {
        List<Backend> all = BACKENDS;
        String only = System.getProperty("test.stores", "").trim();
        if (only.isEmpty()) {
            return all;
        }
        List<String> names = List.of(only.split("\\s*,\\s*"));
        List<Backend> chosen = all.stream().filter(b -> names.contains(b.name())).toList();
        if (chosen.size() != names.size()) {
            throw new IllegalArgumentException("test.stores=" + only + " names a backend that is not one of " + all);
        }
        return chosen;
    }

    /** The backend of that name, whatever {@code test.stores} says (for tests that run on one named backend). */
    public static Backend named(String name) {
        return BACKENDS.stream().filter(b -> b.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no backend named " + name));
    }

    /**
     * Our adapter built from the daemon's variables as the product builds it ({@link StorageProducer#open}): the
     * database variables {@link DaemonSettings} requires are filled with placeholders the storage never reads.
     */
    public static ObjectStorage productStorage(Map<String, String> daemonEnvironment) {
        Map<String, String> env = new HashMap<>(daemonEnvironment);
        env.putIfAbsent("DB_HOST", "unused.invalid");
        env.putIfAbsent("DB_USERNAME", "unused");
        DaemonSettings settings = DaemonSettings.from(name -> Optional.ofNullable(env.get(name)));
        return StorageProducer.open(settings, S3Timeouts.DEFAULTS, StorageRequestListener.NO_OP);
    }
}
