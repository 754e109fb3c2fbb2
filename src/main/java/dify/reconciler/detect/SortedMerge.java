package dify.reconciler.detect;

import dify.reconciler.catalog.KeyOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;

/**
 * A full outer join of two streams sorted by the same key in {@link KeyOrder}, in one pass and constant
 * memory (beyond one key's group). Equal keys on one side are grouped (old databases hold duplicates).
 * Input that goes backwards is a bug upstream or a listing we do not understand: the merge fails loudly
 * rather than reporting wrong findings.
 */
public final class SortedMerge {

    private SortedMerge() {
    }

    /** Receives every key present on either side, with the items of each side that carry it (possibly none). */
    @FunctionalInterface
    public interface GroupHandler<L, R> {
        void onKey(String key, List<L> left, List<R> right);
    }

    /** Thrown when a side is not in ascending {@link KeyOrder}. */
    public static final class UnsortedInputException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        public UnsortedInputException(String side, String previous, String next) {
            super(side + " is not sorted: '" + next + "' came after '" + previous + "'");
        }
    }

    public static <L, R> void join(String leftName, Iterator<L> left, Function<L, String> leftKey,
            String rightName, Iterator<R> right, Function<R, String> rightKey, GroupHandler<L, R> handler) {
        GroupingCursor<L> l = new GroupingCursor<>(leftName, left, leftKey);
        GroupingCursor<R> r = new GroupingCursor<>(rightName, right, rightKey);
        while (l.hasGroup() || r.hasGroup()) {
            int cmp;
            if (!l.hasGroup()) {
                cmp = 1;
            } else if (!r.hasGroup()) {
                cmp = -1;
            } else {
                cmp = KeyOrder.compare(l.key(), r.key());
            }
            if (cmp < 0) {
                handler.onKey(l.key(), l.takeGroup(), List.of());
            } else if (cmp > 0) {
                handler.onKey(r.key(), List.of(), r.takeGroup());
            } else {
                String key = l.key();
                handler.onKey(key, l.takeGroup(), r.takeGroup());
            }
        }
    }

    /** Reads one group of equal keys ahead and checks the order as it goes. */
    private static final class GroupingCursor<T> {
        private final String name;
        private final Iterator<T> source;
        private final Function<T, String> keyOf;
        private T pending;
        private String pendingKey;
        private String lastKey;
        private List<T> group;
        private String groupKey;

        GroupingCursor(String name, Iterator<T> source, Function<T, String> keyOf) {
            this.name = name;
            this.source = source;
            this.keyOf = keyOf;
            advance();
            fill();
        }

        boolean hasGroup() {
            return group != null;
        }

        String key() {
            return groupKey;
        }

        List<T> takeGroup() {
            List<T> taken = group;
            fill();
            return taken;
        }

        private void fill() {
            if (pending == null) {
                group = null;
                groupKey = null;
                return;
            }
            groupKey = pendingKey;
            group = new ArrayList<>(1);
            while (pending != null && pendingKey.equals(groupKey)) {
                group.add(pending);
                advance();
            }
        }

        private void advance() {
            if (!source.hasNext()) {
                pending = null;
                pendingKey = null;
                return;
            }
            T next = source.next();
            String key = keyOf.apply(next);
            if (key == null) {
                throw new IllegalStateException(name + " produced an item without a key");
            }
            if (lastKey != null && KeyOrder.compare(lastKey, key) > 0) {
                throw new UnsortedInputException(name, lastKey, key);
            }
            lastKey = key;
            pending = next;
            pendingKey = key;
        }
    }
}
