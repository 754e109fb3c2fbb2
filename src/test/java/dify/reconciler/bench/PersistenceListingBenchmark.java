package dify.reconciler.bench;

import dify.reconciler.catalog.KeyOrder;
import dify.reconciler.inventory.ParallelPrefixListing;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.S3ObjectStorage;
import dify.reconciler.inventory.storage.StorageRequestListener;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.testsupport.S3ProxyServer;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The listing of {@code persistence/} (issue 20): one sequential listing against the listing folder by folder with
 * several in flight ({@link ParallelPrefixListing}), on S3Proxy (file-system backend) holding OBJECTS objects under
 * {@code persistence/<tenant>/<plugin>/} across TENANTS tenants. Prints the wall time and the peak heap of each listing
 * and the process's peak RSS (VmHWM); exits 1 unless every listing returned the same keys in the same order (count
 * and an order-sensitive digest of the keys), so no figure comes from a listing that did not do the whole job.
 *
 * <pre>
 * scripts/persistence-listing-benchmark.sh 2000000 2000 "1 4 8"
 * </pre>
 *
 * Arguments: OBJECTS, TENANTS, the concurrencies to measure (1 is the sequential listing, {@link ObjectStorage#list}).
 * Objects are written straight into S3Proxy's folder (as {@code S3ProxyServer.putDirectly} does), not PUT.
 */
public final class PersistenceListingBenchmark {

    private PersistenceListingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int objects = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int tenants = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
        List<Integer> concurrencies = new ArrayList<>();
        for (String c : (args.length > 2 ? args[2] : "1 4 8").trim().split("\\s+")) {
            concurrencies.add(Integer.parseInt(c));
        }
        try (S3ProxyServer s3 = S3ProxyServer.start()) {
            String bucket = s3.createBucket("persistence-bench");
            long t0 = System.nanoTime();
            seed(s3, bucket, objects, tenants);
            System.out.printf(Locale.ROOT, "seeded %,d objects under persistence/ across %,d tenants in %.1f s%n", objects, tenants,
                    (System.nanoTime() - t0) / 1e9);
            Result reference = null;
            double sequentialSeconds = 0;
            System.out.println("| listing | objects | wall time | against sequential | peak heap |");
            System.out.println("|---|---:|---:|---:|---:|");
            try (ObjectStorage storage = new S3ObjectStorage(S3ProxyServer.newClient(s3.endpoint(), s3.accessKey(),
                    s3.secretKey()), bucket, S3ObjectStorage.DEFAULT_PAGE_SIZE,
                    StorageRequestListener.NO_OP)) {
                // Warm-up (JIT, S3Proxy's caches): one sequential listing, not reported.
                list(storage, 1);
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
            System.out.printf(Locale.ROOT, "peak RSS of this JVM (VmHWM, S3Proxy is another process): %s%n", vmHwm());
            System.out.println("all listings returned the same " + reference.count + " keys in the same order");
        }
    }

    private record Result(long count, long digest, double seconds, long peakHeap) {
    }

    private static Result list(ObjectStorage storage, int concurrency) {
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
            while (it.hasNext()) {
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

    /** persistence/&lt;tenant uuid&gt;/&lt;author&gt;/&lt;plugin&gt;/&lt;file&gt;: a few plugins per tenant, the objects spread evenly. */
    private static void seed(S3ProxyServer s3, String bucket, int objects, int tenants) throws Exception {
        byte[] content = "x".getBytes(StandardCharsets.UTF_8);
        int perTenant = Math.max(1, objects / tenants);
        int written = 0;
        for (int t = 0; t < tenants && written < objects; t++) {
            String tenant = new UUID(0x5eed_0000_0000_4000L, t).toString();
            int n = t == tenants - 1 ? objects - written : Math.min(perTenant, objects - written);
            for (int i = 0; i < n; i++) {
                s3.putDirectly(bucket, "persistence/" + tenant + "/acme/plugin-" + (i % 4) + "/data-" + i + ".bin", content);
            }
            written += n;
        }
        if (written != objects) {
            throw new IllegalStateException("seeded " + written + " of " + objects);
        }
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
