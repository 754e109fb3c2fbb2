package dify.reconciler.bench;

import dify.reconciler.catalog.KeyOrder;
import dify.reconciler.inventory.ParallelPrefixListing;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.S3ObjectStorage;
import dify.reconciler.inventory.storage.StorageRequestListener;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.testsupport.FaultyHttpProxy;
import dify.reconciler.testsupport.S3ProxyServer;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The listing of {@code persistence/} (issue 20): one sequential listing against the listing folder by folder with
 * several in flight ({@link ParallelPrefixListing}), on a real S3 API server holding OBJECTS objects under
 * {@code persistence/<tenant>/<plugin>/} across TENANTS tenants. Prints the time of one ListObjectsV2 page of the whole
 * prefix and of one tenant's folder (what a page costs the server), the wall time and the peak heap of each listing and
 * the process's peak RSS (VmHWM); exits 1 unless every listing returned the same keys in the same order (count and an
 * order-sensitive digest of the keys), so no figure comes from a listing that did not do the whole job.
 *
 * <pre>
 * scripts/persistence-listing-benchmark.sh 2000000 2000 "1 4 8"
 * </pre>
 *
 * Arguments: OBJECTS, TENANTS, the concurrencies to measure (1 is the sequential listing, {@link ObjectStorage#list}),
 * the server, and a delay in milliseconds added to every request (default 0; {@link FaultyHttpProxy}). The server is
 * {@code swift} (the default, {@link SwiftS3Server}: a page costs the same whatever the bucket holds, as on S3; rows
 * written straight into its container database) or one of S3Proxy's local backends, {@code filesystem} (objects
 * written straight into its folder) or {@code transient} (in memory; PUT through the S3 API, {@value #SEED_THREADS} at
 * a time). Both of S3Proxy 4.1's local backends answer every page by walking and sorting all the objects under the
 * prefix's folder, so there a page's cost grows with the prefix and the sequential listing's with the square of
 * OBJECTS (docs/benchmark.md).
 */
public final class PersistenceListingBenchmark {

    private static final int SEED_THREADS = 4;
    private static final long WARM_UP_KEYS = 50_000;

    private PersistenceListingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int objects = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int tenants = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
        List<Integer> concurrencies = new ArrayList<>();
        for (String c : (args.length > 2 ? args[2] : "1 4 8").trim().split("\\s+")) {
            concurrencies.add(Integer.parseInt(c));
        }
        String backend = args.length > 3 ? args[3] : "swift";
        long latencyMillis = args.length > 4 ? Long.parseLong(args[4]) : 0;
        String bucket = "persistence-bench";
        List<AutoCloseable> servers = new ArrayList<>();
        try {
            URI endpoint;
            String accessKey;
            String secretKey;
            long t0 = System.nanoTime();
            switch (backend) {
                case "filesystem", "transient" -> {
                    S3ProxyServer s3 = S3ProxyServer.startWithBackend(backend);
                    servers.add(s3);
                    s3.createBucket(bucket);
                    t0 = System.nanoTime();
                    if (backend.equals("filesystem")) {
                        seed(objects, tenants, key -> s3.putDirectly(bucket, key, CONTENT));
                    } else {
                        seedThroughApi(s3, bucket, objects, tenants);
                    }
                    endpoint = s3.endpoint();
                    accessKey = s3.accessKey();
                    secretKey = s3.secretKey();
                }
                case "swift" -> {
                    SwiftS3Server swift = SwiftS3Server.start();
                    servers.add(swift);
                    endpoint = swift.endpoint();
                    accessKey = SwiftS3Server.ACCESS_KEY;
                    secretKey = SwiftS3Server.SECRET_KEY;
                    try (S3Client client = S3ProxyServer.newClient(endpoint, accessKey, secretKey)) {
                        client.createBucket(b -> b.bucket(bucket));
                    }
                    t0 = System.nanoTime();
                    swift.seedListing(keys -> seed(objects, tenants, keys));
                }
                default -> throw new IllegalArgumentException("backend is filesystem, transient or swift, was " + backend);
            }
            System.out.printf(Locale.ROOT, "seeded %,d objects under persistence/ across %,d tenants (backend %s) in %.1f s%n",
                    objects, tenants, backend, (System.nanoTime() - t0) / 1e9);
            if (latencyMillis > 0) {
                // Every request waits this long before it reaches the server, as S3's round trip and service time
                // would: the part of a page's time that concurrency overlaps.
                FaultyHttpProxy delay = FaultyHttpProxy.to(endpoint);
                delay.policy(r -> new FaultyHttpProxy.Fault.Delay(latencyMillis));
                servers.add(delay);
                endpoint = delay.endpoint();
                System.out.printf(Locale.ROOT, "every request delayed by %d ms (FaultyHttpProxy)%n", latencyMillis);
            }
            Result reference = null;
            double sequentialSeconds = 0;
            try (ObjectStorage storage = new S3ObjectStorage(S3ProxyServer.newClient(endpoint, accessKey, secretKey), bucket,
                    S3ObjectStorage.DEFAULT_PAGE_SIZE,
                    StorageRequestListener.NO_OP)) {
                // Warm-up (JIT, the server's caches), not reported: the first WARM_UP_KEYS keys of a parallel listing
                // and of a sequential one, which runs the same code paths at a fraction of a whole listing's cost.
                list(storage, concurrencies.stream().mapToInt(Integer::intValue).max().orElse(4), WARM_UP_KEYS);
                list(storage, 1, WARM_UP_KEYS);
                // After the warm-up, so the server's caches are as warm as for the listings measured.
                try (S3Client client = S3ProxyServer.newClient(endpoint, accessKey, secretKey)) {
                    System.out.printf(Locale.ROOT,
                            "one page (1,000 keys) of persistence/: %.0f ms; of one tenant's folder (%,d objects): %.0f ms%n",
                            pageMillis(client, bucket, "persistence/"), objects / tenants,
                            pageMillis(client, bucket, "persistence/" + tenant(tenants / 2) + "/"));
                }
                System.out.println("| listing | objects | wall time | against sequential | peak heap |");
                System.out.println("|---|---:|---:|---:|---:|");
                for (int concurrency : concurrencies) {
                    Result r = list(storage, concurrency);
                    if (r.count != objects || (reference != null && (r.count != reference.count || r.digest != reference.digest))) {
                        System.out.printf(Locale.ROOT, "MISMATCH: concurrency %d listed %,d objects (digest %x), expected %,d%s%n",
                                concurrency, r.count, r.digest, objects,
                                reference == null ? "" : String.format(Locale.ROOT, " (digest %x)", reference.digest));
                        System.exit(1);
                    }
                    reference = reference == null ? r : reference;
                    if (concurrency == 1) {
                        sequentialSeconds = r.seconds;
                    }
                    String speedup = sequentialSeconds > 0 ? String.format(Locale.ROOT, "%.2f×", sequentialSeconds / r.seconds) : "-";
                    String line = String.format(Locale.ROOT, "| %s | %,d | %.2f s | %s | %d MiB |",
                            concurrency == 1 ? "sequential (one listing)" : "parallel, " + concurrency + " folders at once",
                            r.count, r.seconds, speedup, r.peakHeap >> 20);
                    System.out.println(line);
                }
            }
            System.out.printf(Locale.ROOT, "peak RSS of this JVM (VmHWM; the server runs in other processes): %s%n", vmHwm());
            System.out.println("all listings returned the same " + reference.count + " keys in the same order");
        } finally {
            for (int i = servers.size() - 1; i >= 0; i--) {
                servers.get(i).close();
            }
        }
    }

    private record Result(long count, long digest, double seconds, long peakHeap) {
    }

    private static Result list(ObjectStorage storage, int concurrency) {
        return list(storage, concurrency, Long.MAX_VALUE);
    }

    /** @param limit keys read before the listing is closed (the warm-up's bound) */
    private static Result list(ObjectStorage storage, int concurrency, long limit) {
        System.gc();
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        long t0 = System.nanoTime();
        long count = 0;
        long digest = 1;
        String previous = null;
        try (Stream<StoredObject> listing = ParallelPrefixListing.list(storage, "persistence/", concurrency, 1000)) {
            Iterator<StoredObject> it = listing.iterator();
            while (count < limit && it.hasNext()) {
                String key = it.next().key();
                if (previous != null && KeyOrder.compare(previous, key) >= 0) {
                    throw new IllegalStateException("out of order: " + key + " after " + previous);
                }
                previous = key;
                digest = digest * 31 + key.hashCode();
                count++;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        return new Result(count, digest, seconds, peak);
    }

    private static final byte[] CONTENT = "x".getBytes(StandardCharsets.UTF_8);

    private static String tenant(int t) {
        return new UUID(0x5eed_0000_0000_4000L, t).toString();
    }

    /** persistence/&lt;tenant uuid&gt;/&lt;author&gt;/&lt;plugin&gt;/&lt;file&gt;: a few plugins per tenant, the objects spread evenly. */
    private static void seed(int objects, int tenants, Consumer<String> put) {
        int perTenant = Math.max(1, objects / tenants);
        int written = 0;
        for (int t = 0; t < tenants && written < objects; t++) {
            String tenant = tenant(t);
            int n = t == tenants - 1 ? objects - written : Math.min(perTenant, objects - written);
            for (int i = 0; i < n; i++) {
                put.accept("persistence/" + tenant + "/acme/plugin-" + (i % 4) + "/data-" + i + ".bin");
            }
            written += n;
        }
        if (written != objects) {
            throw new IllegalStateException("seeded " + written + " of " + objects);
        }
    }

    /** The same keys PUT through the S3 API, at most {@link #SEED_THREADS} in flight (the in-memory backend has no folder). */
    private static void seedThroughApi(S3ProxyServer s3, String bucket, int objects, int tenants) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(SEED_THREADS);
        Semaphore inFlight = new Semaphore(4 * SEED_THREADS);
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        try (S3Client client = S3ProxyServer.newClient(s3.endpoint(), s3.accessKey(), s3.secretKey())) {
            seed(objects, tenants, key -> {
                if (failure.get() != null) {
                    throw failure.get();
                }
                inFlight.acquireUninterruptibly();
                pool.execute(() -> {
                    try {
                        client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(CONTENT));
                    } catch (RuntimeException e) {
                        failure.compareAndSet(null, e);
                    } finally {
                        inFlight.release();
                    }
                });
            });
            pool.shutdown();
            if (!pool.awaitTermination(1, TimeUnit.HOURS)) {
                throw new IllegalStateException("seeding did not finish");
            }
        } finally {
            pool.shutdownNow();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    /** The best of three first pages of {@code prefix} (1,000 keys): what S3Proxy spends on one page of that prefix. */
    private static double pageMillis(S3Client client, String bucket, String prefix) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            client.listObjectsV2(b -> b.bucket(bucket).prefix(prefix).maxKeys(1000));
            best = Math.min(best, (System.nanoTime() - t0) / 1e6);
        }
        return best;
    }

    private static String vmHwm() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return line.substring(6).trim();
            }
        }
        return "unknown";
    }
}
