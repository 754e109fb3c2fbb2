package dify.reconciler.testsupport;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which object keys a folder can hold as files ({@code local} storage, and S3Proxy's file-system backend, which maps
 * each key to a file the same way), and why the others cannot: a key is a '/'-separated path of file names. Property
 * tests of real stores drop the keys named here, count them by reason and report them, rather than skipping silently.
 */
public final class FolderKeys {

    /** Linux's NAME_MAX: the longest file name, in bytes (ext4, tmpfs, xfs, btrfs). */
    public static final int LONGEST_NAME = 255;

    /** A folder of {@code local} storage: the product writes each object to a temp file elsewhere, then links it. */
    public static final FolderKeys LOCAL = new FolderKeys(0);

    /**
     * S3Proxy's file-system backend: it writes each object first to {@code <name>-<random UUID>} beside it, so an
     * object's own name may be at most 255 - 37 bytes (folders on the way keep 255).
     */
    public static final FolderKeys S3PROXY = new FolderKeys(37);

    /** Bytes the store appends to an object's file name while writing it. */
    private final int temporarySuffix;

    private FolderKeys(int temporarySuffix) {
        this.temporarySuffix = temporarySuffix;
    }

    /** Why a folder cannot hold a key. */
    public enum Unholdable {
        /** NUL ends a path in every system call. */
        NUL,
        /** An unpaired surrogate: no UTF-8 name (file or S3 key) can hold it. */
        BROKEN_UTF16,
        /** A segment longer than {@link #LONGEST_NAME} bytes (the last one: less what the store appends while writing). */
        LONG_SEGMENT,
        /** A {@code .} or {@code ..} segment names the folder itself or its parent, not a file. */
        DOT_SEGMENT,
        /** An empty segment (a leading '/', '//', or a key ending in '/'): the path would name another key or a folder. */
        EMPTY_SEGMENT,
        /** The key is a folder of another key (or another key is a folder of it): a path is a file or a folder, not both. */
        FILE_AND_FOLDER
    }

    /** The keys a folder holds, in the order given, and each dropped key with its reason. */
    public record Selection(List<String> kept, Map<String, Unholdable> dropped) {

        /** How many keys were dropped for each reason (every reason listed, 0 included). */
        public Map<Unholdable, Integer> droppedByReason() {
            Map<Unholdable, Integer> counts = new EnumMap<>(Unholdable.class);
            for (Unholdable u : Unholdable.values()) {
                counts.put(u, 0);
            }
            dropped.values().forEach(u -> counts.merge(u, 1, Integer::sum));
            return counts;
        }
    }

    /** Why the key alone cannot be a file path, or empty when it can. */
    public Optional<Unholdable> unholdable(String key) {
        if (key.indexOf('\0') >= 0) {
            return Optional.of(Unholdable.NUL);
        }
        if (!StandardCharsets.UTF_8.newEncoder().canEncode(key)) {
            return Optional.of(Unholdable.BROKEN_UTF16);
        }
        String[] segments = key.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            String segment = segments[i];
            int longest = i == segments.length - 1 ? LONGEST_NAME - temporarySuffix : LONGEST_NAME;
            if (segment.isEmpty()) {
                return Optional.of(Unholdable.EMPTY_SEGMENT);
            }
            if (segment.equals(".") || segment.equals("..")) {
                return Optional.of(Unholdable.DOT_SEGMENT);
            }
            if (segment.getBytes(StandardCharsets.UTF_8).length > longest) {
                return Optional.of(Unholdable.LONG_SEGMENT);
            }
        }
        return Optional.empty();
    }

    /**
     * The candidates a folder that already holds {@code present} can hold too. A candidate that is a folder of another
     * holdable candidate is dropped (the longer key is kept); one that clashes with a present key is dropped, since the
     * present keys stay. The kept keys and the present ones never clash.
     */
    public Selection select(Collection<String> candidates, Set<String> present) {
        Map<String, Unholdable> dropped = new LinkedHashMap<>();
        List<String> holdable = new ArrayList<>();
        for (String key : candidates) {
            Optional<Unholdable> why = unholdable(key);
            if (why.isPresent()) {
                dropped.put(key, why.get());
            } else if (clashes(key, present)) {
                dropped.put(key, Unholdable.FILE_AND_FOLDER);
            } else {
                holdable.add(key);
            }
        }
        TreeSet<String> others = new TreeSet<>(holdable);
        List<String> kept = new ArrayList<>();
        for (String key : holdable) {
            String folder = key + "/";
            String after = others.ceiling(folder);
            if (after != null && after.startsWith(folder)) {
                dropped.put(key, Unholdable.FILE_AND_FOLDER);
            } else {
                kept.add(key);
            }
        }
        return new Selection(kept, dropped);
    }

    /** Whether one of the two is a folder of the other. */
    private static boolean clashes(String key, Set<String> present) {
        for (String p : present) {
            if (key.startsWith(p + "/") || p.startsWith(key + "/")) {
                return true;
            }
        }
        return false;
    }
}
