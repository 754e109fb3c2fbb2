package dify.reconciler.testsupport;

/**
 * The JVM {@link PostgresLeftoversTest} kills: starts this JVM's shared PostgreSQL, prints its log file and postmaster
 * pid on one line, and waits to be killed.
 */
public final class KilledJvmServer {

    private KilledJvmServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        EmbeddedPostgres pg = EmbeddedPostgres.shared();
        System.out.println("started " + pg.postmasterPid() + " " + pg.logFile());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
