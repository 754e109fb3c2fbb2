package dify.reconciler.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * Each {@code @QuarkusTest} application start loads this package again in its own class loader; the shared servers
 * must still be one per JVM (one initdb, one S3Proxy, one Azurite), not one per application start. A loader that
 * defines the testsupport classes itself, as Quarkus' does, stands in for an application start.
 */
class SharedServersAcrossClassLoadersTest {

    @Test
    void anotherClassLoadersSharedPostgresIsTheRunningServerWithoutASecondInitdb() throws Exception {
        EmbeddedPostgres here = EmbeddedPostgres.shared();
        Class<?> elsewhere = new TestsupportFirst().loadClass(EmbeddedPostgres.class.getName());
        assertNotSame(EmbeddedPostgres.class, elsewhere, "the class was loaded again, as a Quarkus application start does");

        Object there = call(elsewhere, null, "shared");
        assertEquals(here.port(), call(elsewhere, there, "port"), "port of the shared server seen from another class loader");
        assertEquals(here.postmasterPid(), call(elsewhere, there, "postmasterPid"), "postmaster of the shared server");
        assertEquals(true, call(elsewhere, there, "isRunning"));
        assertEquals(1, call(elsewhere, null, "sharedStarts"), "initdb runs in this JVM");
        assertEquals(1, EmbeddedPostgres.sharedStarts(), "initdb runs in this JVM");

        // The attached view hands out working databases of its own, with the roles the first one made.
        AutoCloseable db = (AutoCloseable) call(elsewhere, there, "createDatabase");
        try (db;
                Connection c = (Connection) db.getClass().getMethod("connect").invoke(db);
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE made_elsewhere (x int)");
        }
        assertTrue(here.isRunning());
    }

    @Test
    void anotherClassLoadersSharedS3ProxyAndAzuriteAreTheRunningProcesses() throws Exception {
        S3ProxyServer s3 = S3ProxyServer.shared();
        AzuriteServer azurite = AzuriteServer.shared();
        TestsupportFirst loader = new TestsupportFirst();
        Class<?> s3Elsewhere = loader.loadClass(S3ProxyServer.class.getName());
        Class<?> azuriteElsewhere = loader.loadClass(AzuriteServer.class.getName());
        assertNotSame(S3ProxyServer.class, s3Elsewhere);

        Object s3There = call(s3Elsewhere, null, "shared");
        assertEquals(s3.pid(), call(s3Elsewhere, s3There, "pid"), "S3Proxy process seen from another class loader");
        assertEquals(s3.endpoint(), call(s3Elsewhere, s3There, "endpoint"));
        assertEquals(1, call(s3Elsewhere, null, "sharedStarts"), "S3Proxy processes started in this JVM");
        String bucket = "across-loaders-" + java.util.UUID.randomUUID();
        call(s3Elsewhere, s3There, "createBucket", bucket);
        assertTrue(s3.client().headBucket(b -> b.bucket(bucket)).sdkHttpResponse().isSuccessful());

        Object azuriteThere = call(azuriteElsewhere, null, "shared");
        assertEquals(azurite.pid(), call(azuriteElsewhere, azuriteThere, "pid"), "Azurite process seen from another class loader");
        assertEquals(azurite.endpoint(), call(azuriteElsewhere, azuriteThere, "endpoint"));
        assertEquals(1, call(azuriteElsewhere, null, "sharedStarts"), "Azurite processes started in this JVM");
    }

    private static Object call(Class<?> type, Object target, String method, Object... args) throws Exception {
        Class<?>[] types = new Class<?>[args.length];
        for (int i = 0; i < args.length; i++) {
            types[i] = args[i].getClass();
        }
        try {
            return type.getMethod(method, types).invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** Defines the testsupport classes itself (as Quarkus' class loader does) and leaves every other to its parent. */
    private static final class TestsupportFirst extends ClassLoader {

        TestsupportFirst() {
            super(SharedServersAcrossClassLoadersTest.class.getClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith(EmbeddedPostgres.class.getPackageName() + ".")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> loaded = findLoadedClass(name);
                if (loaded == null) {
                    try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                        if (in == null) {
                            throw new ClassNotFoundException(name);
                        }
                        byte[] bytes = in.readAllBytes();
                        loaded = defineClass(name, bytes, 0, bytes.length);
                    } catch (IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                }
                return loaded;
            }
        }
    }
}
