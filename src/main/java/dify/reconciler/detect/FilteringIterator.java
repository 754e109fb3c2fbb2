package dify.reconciler.detect;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Predicate;

/** Passes through the items a predicate accepts; the predicate may report the others as it sees them. */
final class FilteringIterator<T> implements Iterator<T> {
    private final Iterator<T> source;
    private final Predicate<T> accept;
    private T next;

    FilteringIterator(Iterator<T> source, Predicate<T> accept) {
        this.source = source;
        this.accept = accept;
    }

    @Override
    public boolean hasNext() {
        while (next == null && source.hasNext()) {
            T candidate = source.next();
            if (accept.test(candidate)) {
                next = candidate;
            }
        }
        return next != null;
    }

    @Override
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        T result = next;
        next = null;
        return result;
    }
}
