package dify.reconciler.observe;

import dify.reconciler.testsupport.TestDatabase;

/** For tests in other packages: the database {@link DriftedDaemon} seeded (same JVM as the service). */
public final class DriftedDaemonAccess {

    private DriftedDaemonAccess() {
    }

    public static TestDatabase database() {
        return DriftedDaemon.database;
    }

    /** Dify's database beside the daemon's, when the resource was started with {@code dify=tenants}; else null. */
    public static TestDatabase difyDatabase() {
        return DriftedDaemon.difyDatabase;
    }

    /** The local storage root the service reads. */
    public static java.nio.file.Path storageRoot() {
        return DriftedDaemon.storageRoot;
    }

    /** What was seeded. */
    public static dify.reconciler.testsupport.DifyDataset dataset() {
        return DriftedDaemon.dataset;
    }
}
