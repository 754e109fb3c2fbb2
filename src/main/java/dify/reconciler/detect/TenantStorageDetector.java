package dify.reconciler.detect;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.KeyOrder;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.inventory.TenantStorageRow;
import dify.reconciler.inventory.storage.StoredObject;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * {@code tenant_storages.size} against the bytes really stored under {@code persistence/<tenant>/<plugin_id>/}.
 * One pass over both sorted streams. Prefixes can nest (a plugin id without author, {@code t/a/}, contains
 * {@code t/a/b/}), so open rows are kept on a stack whose entries are each a prefix of the next: a key adds
 * its size to every open row, and a row is closed as soon as a key falls past its range.
 */
public final class TenantStorageDetector {

    private final String prefix;
    private final GraceWindow grace;
    private final FindingSink sink;

    public TenantStorageDetector(String persistencePrefix, GraceWindow grace, FindingSink sink) {
        this.prefix = persistencePrefix;
        this.grace = grace;
        this.sink = sink;
    }

    private static final class Open {
        final TenantStorageRow row;
        final String relativePrefix;
        long bytes;
        boolean hasYoungObject;

        Open(TenantStorageRow row) {
            this.row = row;
            this.relativePrefix = row.relativePrefix();
        }
    }

    /**
     * @param listing every object under the persistence prefix, in key order
     * @param rows    {@code tenant_storages} rows sorted by {@link TenantStorageRow#relativePrefix()} in {@link KeyOrder}
     */
    public void detect(Iterator<StoredObject> listing, Iterator<TenantStorageRow> rows) {
        Deque<Open> open = new ArrayDeque<>();
        TenantStorageRow nextRow = rows.hasNext() ? rows.next() : null;
        String lastRowPrefix = null;
        String lastKey = null;
        while (listing.hasNext()) {
            StoredObject o = listing.next();
            String rel = o.key().substring(prefix.length());
            if (lastKey != null && KeyOrder.compare(lastKey, rel) > 0) {
                throw new SortedMerge.UnsortedInputException("persistence listing", lastKey, rel);
            }
            lastKey = rel;
            // Open every row whose range starts at or before this key.
            while (nextRow != null && KeyOrder.compare(nextRow.relativePrefix(), rel) <= 0) {
                lastRowPrefix = checkRowOrder(lastRowPrefix, nextRow);
                openRow(open, new Open(nextRow));
                nextRow = rows.hasNext() ? rows.next() : null;
            }
            while (!open.isEmpty() && !rel.startsWith(open.peekLast().relativePrefix)) {
                close(open.pollLast());
            }
            for (Open row : open) {
                row.bytes += o.size();
                row.hasYoungObject |= grace.isYoung(o.lastModified());
            }
        }
        while (!open.isEmpty()) {
            close(open.pollLast());
        }
        while (nextRow != null) {
            lastRowPrefix = checkRowOrder(lastRowPrefix, nextRow);
            close(new Open(nextRow));
            nextRow = rows.hasNext() ? rows.next() : null;
        }
    }

    private void openRow(Deque<Open> open, Open row) {
        while (!open.isEmpty() && !row.relativePrefix.startsWith(open.peekLast().relativePrefix)) {
            close(open.pollLast());
        }
        open.addLast(row);
    }

    private static String checkRowOrder(String last, TenantStorageRow row) {
        String p = row.relativePrefix();
        if (last != null && KeyOrder.compare(last, p) > 0) {
            throw new SortedMerge.UnsortedInputException("tenant_storages rows", last, p);
        }
        return p;
    }

    private void close(Open o) {
        if (grace.isYoung(o.row.changedAt()) || o.hasYoungObject) {
            sink.rowInGrace();
            return;
        }
        if (o.bytes != o.row.size()) {
            // bytes: what is stored (the value a repair sets); the observed size: the row's value as read (what
            // the repair compares before it sets anything).
            sink.add(new Finding(FindingKind.TENANT_STORAGE_DRIFT, "tenant_storages", o.row.id(),
                    prefix + o.relativePrefix, null, o.row.pluginId(), o.row.tenantId(), o.bytes,
                    "size is " + o.row.size() + " bytes but " + o.bytes + " bytes are stored under "
                            + prefix + o.relativePrefix,
                    new ObservedVersion(o.row.changedAt(), o.row.size(), null, null)));
        }
    }
}
