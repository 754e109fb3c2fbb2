package dify.reconciler.run;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.inventory.storage.StorageException;
import dify.reconciler.state.StateStore;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * With state in memory (report mode's SELECT-only role) a scan refuses to list from an inventory report, at the start
 * of its storage phase and before any report is read: sorting a report of 10^8 keys in the heap is not flat memory.
 * ScanRunner's own method, with a state store that says memory and nothing else wired (a read would throw elsewhere).
 */
class InventoryListingMemoryStateTest {

    @Test
    void memoryStateRefusesInventoryListingNamingWhy() {
        ScanRunner runner = new ScanRunner();
        runner.state = new StateStore() {
            @Override
            public synchronized Mode mode() {
                return Mode.MEMORY;
            }

            @Override
            public synchronized String reason() {
                return "permission denied to create schema plugin_reconciler";
            }
        };
        StorageException e = assertThrows(StorageException.class, () -> runner.openInventoryReport(List.of("plugin/")));
        assertTrue(e.getMessage().contains("state is in memory (permission denied to create schema plugin_reconciler)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("reconciler.storage.listing=list"), e.getMessage());
    }
}
