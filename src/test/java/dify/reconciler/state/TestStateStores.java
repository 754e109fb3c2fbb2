package dify.reconciler.state;

import dify.reconciler.config.ProcessMode;
import javax.sql.DataSource;

/** A {@link StateStore} outside Quarkus, for tests of other packages: what a (re)started process would build. */
public final class TestStateStores {

    private TestStateStores() {
    }

    /** A new store on {@code dataSource} (schema {@code plugin_reconciler}), settled on first use as the service does. */
    public static StateStore on(DataSource dataSource) {
        StateStore store = new StateStore();
        store.dataSource = dataSource;
        store.config = StateStoreTest.config("plugin_reconciler");
        store.role = ProcessMode.SERVICE;
        return store;
    }
}
