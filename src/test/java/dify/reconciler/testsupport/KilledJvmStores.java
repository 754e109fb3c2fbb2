package dify.reconciler.testsupport;

/**
 * A JVM that starts its shared S3Proxy and Azurite, says where they run, and waits to be killed
 * ({@link ServerWatchdogTest}).
 */
public final class KilledJvmStores {

    private KilledJvmStores() {
    }

    public static void main(String[] args) throws InterruptedException {
        S3ProxyServer s3 = S3ProxyServer.shared();
        AzuriteServer azurite = AzuriteServer.shared();
        System.out.println("started " + s3.pid() + " " + s3.workDir() + " " + azurite.pid() + " " + azurite.workDir());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
