package dify.reconciler.remediate;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.FaultyHttpProxy;
import dify.reconciler.testsupport.S3ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * A plugin daemon on S3 (S3Proxy) that the service reaches only through a {@link FaultyHttpProxy}, so a test can
 * lose the answer to one of the service's requests: a realistic dataset without drift (the test plants its own),
 * the service connected as the daemon's user (state persisted in our schema). Scheduled scans are off.
 */
public class ProxiedS3Daemon implements QuarkusTestResourceLifecycleManager {

    /** Set by {@link #start()}; the tests run in the same JVM as the service. */
    static volatile DifyDataset dataset;
    static volatile TestDatabase database;
    static volatile String bucket;
    static volatile FaultyHttpProxy proxy;

    @Override
    public Map<String, String> start() {
        S3ProxyServer s3 = S3ProxyServer.shared();
        TestDatabase db = SchemaFixture.CURRENT.newDatabase();
        String name = s3.createBucket("proxied-daemon-" + System.nanoTime());
        dataset = new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), new S3ObjectWriter(s3.client(), name),
                StorageLayout.DEFAULT, Instant.now().minus(Duration.ofHours(2)));
        proxy = FaultyHttpProxy.to(s3.endpoint());
        database = db;
        bucket = name;
        Map<String, String> config = new HashMap<>(db.ownerS3Environment(s3, name));
        config.put("S3_ENDPOINT", proxy.endpoint().toString());
        config.remove("RECONCILER_GRACE_PERIOD");
        config.put("reconciler.grace-period", "0s");
        config.put("reconciler.interval", "off");
        return config;
    }

    @Override
    public void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (database != null) {
            database.close();
        }
    }
}
