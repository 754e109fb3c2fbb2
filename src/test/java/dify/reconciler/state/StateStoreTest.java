package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.config.ProcessMode;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.lang.reflect.Proxy;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Where state lives, decided against a real PostgreSQL with the daemon's owner and the SELECT-only role. */
class StateStoreTest {

    @Test
    void theOwnerMigratesOurSchemaAndAReadOnlyRoleThatFindsItAlreadyCreatedStaysInMemory() {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            StateStore owner = store(db.dataSource());
            assertEquals(StateStore.Mode.PERSISTED, owner.ensure());

            // The schema exists now, so Flyway's migrate is a no-op for the reader: that must not mean "persisted".
            StateStore reader = store(db.readerDataSource());
            assertEquals(StateStore.Mode.MEMORY, reader.ensure());
            assertTrue(reader.reason().contains("no right to write the tables of schema plugin_reconciler"), reader.reason());
        }
    }

    @Test
    void aReadOnlyRoleThatMayNotCreateTheSchemaStaysInMemoryAndSaysWhy() {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            StateStore reader = store(db.readerDataSource());
            assertEquals(StateStore.Mode.MEMORY, reader.ensure());
            assertTrue(reader.reason().contains("permission denied"), reader.reason());
        }
    }

    private static StateStore store(DataSource dataSource) {
        StateStore store = new StateStore();
        store.dataSource = dataSource;
        store.config = config("plugin_reconciler");
        store.role = ProcessMode.SERVICE;
        return store;
    }

    /** Only {@code state()} is asked for; anything else is a test bug. */
    static ReconcilerConfig config(String schema) {
        ReconcilerConfig.State state = (ReconcilerConfig.State) Proxy.newProxyInstance(StateStoreTest.class.getClassLoader(),
                new Class<?>[] {ReconcilerConfig.State.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "schema" -> schema;
                    case "retention" -> Duration.ofDays(30);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        return (ReconcilerConfig) Proxy.newProxyInstance(StateStoreTest.class.getClassLoader(),
                new Class<?>[] {ReconcilerConfig.class}, (proxy, method, args) -> {
                    if (method.getName().equals("state")) {
                        return state;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
