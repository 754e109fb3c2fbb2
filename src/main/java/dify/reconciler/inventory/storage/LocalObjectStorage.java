package dify.reconciler.inventory.storage;

import dify.reconciler.catalog.KeyOrder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.jboss.logging.Logger;

/**
 * The daemon's {@code local} storage type: every key is a path relative to a root folder
 * ({@code PLUGIN_STORAGE_LOCAL_ROOT}), '/'-separated, so {@code plugin/langgenius/openai:0.0.1@abc} is the
 * file {@code <root>/plugin/langgenius/openai:0.0.1@abc}.
 *
 * <p>Listing walks the tree depth-first, one directory in memory at a time, and still yields keys in
 * UTF-8 byte order of the full key: each directory's children are sorted by {@code name + "/"} for
 * directories and {@code name} for files, because that is the part of the key they contribute
 * ({@code a-c} sorts before the children of {@code a/} since '-' &lt; '/'). Symbolic links are skipped, not
 * followed: the daemon never creates them, and following them could list files outside the root or loop.
 */
public final class LocalObjectStorage implements ObjectStorage {

    private static final Logger LOG = Logger.getLogger(LocalObjectStorage.class);

    /** Where writes are staged: a folder of the root that no daemon prefix names. */
    public static final String TEMPORARY_FOLDER = ".reconciler-tmp";

    private final Path root;
    private final StorageRequestListener listener;

    public LocalObjectStorage(Path root) {
        this(root, StorageRequestListener.NO_OP);
    }

    /**
     * @param listener told about every request: {@code list} per directory read (the local analogue of a
     *        listing page), {@code head} per attribute read, {@code get} per file opened
     */
    public LocalObjectStorage(Path root, StorageRequestListener listener) {
        this.root = root.toAbsolutePath().normalize();
        this.listener = listener;
        String jnuEncoding = System.getProperty("sun.jnu.encoding");
        if (!decodesFileNamesAsUtf8(jnuEncoding)) {
            LOG.warnf("This JVM decodes file names as %s (sun.jnu.encoding), not UTF-8: keys with non-ASCII characters"
                    + " under %s will be read wrongly. Run the service with LANG=C.UTF-8 (or another UTF-8 locale).",
                    jnuEncoding, this.root);
        }
    }

    /** Whether the JVM's file-name charset (set from the locale at startup, not changeable later) is UTF-8. */
    static boolean decodesFileNamesAsUtf8(String jnuEncoding) {
        return "UTF-8".equalsIgnoreCase(jnuEncoding) || "UTF8".equalsIgnoreCase(jnuEncoding);
    }

    @Override
    public Stream<StoredObject> list(String prefix) {
        String safePrefix = prefix == null ? "" : prefix;
        requireRootDirectory("list");
        // Start in the deepest directory the prefix names; the rest of the prefix filters that directory's
        // children by name (the prefix "plugin/lang" lists "plugin/langgenius/...").
        int lastSlash = safePrefix.lastIndexOf('/');
        String directoryKey = safePrefix.substring(0, lastSlash + 1);
        String namePrefix = safePrefix.substring(lastSlash + 1);
        Optional<Path> start = directoryOf(directoryKey);
        if (start.isEmpty()) {
            return Stream.empty();
        }
        Iterator<StoredObject> walk = new DepthFirstWalk(start.get(), directoryKey, namePrefix);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(walk,
                Spliterator.ORDERED | Spliterator.DISTINCT | Spliterator.NONNULL), false);
    }

    /** One directory read: its sub-folders as folder parts, its regular files as objects (links skipped, as in list). */
    @Override
    public Optional<Stream<ListingPart>> listOneLevel(String prefix) {
        if (prefix == null || !prefix.endsWith("/")) {
            return Optional.empty();
        }
        requireRootDirectory("list");
        Optional<Path> directory = directoryOf(prefix);
        if (directory.isEmpty()) {
            return Optional.of(Stream.empty());
        }
        return Optional.of(children(directory.get(), prefix, "").stream()
                .map(e -> e.isDirectory() ? ListingPart.folder(e.key()) : ListingPart.of(toObject(e.key(), e.attributes()))));
    }

    @Override
    public InputStream open(String key) {
        Optional<Path> resolved = fileOf(key);
        if (resolved.isEmpty()) {
            listener.onRequest("get", false);
            throw new StorageException("'" + key + "' is not a valid key in " + describe());
        }
        Path file = resolved.get();
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            listener.onRequest("get", false);
            throw new StorageException("object '" + key + "' does not exist in " + describe() + " (no regular file " + file + ")");
        }
        try {
            InputStream in = Files.newInputStream(file);
            listener.onRequest("get", true);
            return in;
        } catch (IOException e) {
            listener.onRequest("get", false);
            throw new StorageException("cannot read " + file + ": " + e, e);
        }
    }

    @Override
    public Optional<StoredObject> head(String key) {
        Optional<Path> file = fileOf(key);
        if (file.isEmpty()) {
            listener.onRequest("head", true);
            return Optional.empty();
        }
        try {
            BasicFileAttributes attributes = Files.readAttributes(file.get(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            listener.onRequest("head", true);
            // Consistent with list(): directories and symbolic links are not objects.
            if (!attributes.isRegularFile()) {
                return Optional.empty();
            }
            return Optional.of(toObject(key, attributes));
        } catch (NoSuchFileException e) {
            listener.onRequest("head", true);
            return Optional.empty();
        } catch (IOException e) {
            listener.onRequest("head", false);
            throw new StorageException("cannot read attributes of " + file.get() + ": " + e, e);
        }
    }

    /**
     * Written to a temporary file under {@link #TEMPORARY_FOLDER} (outside every daemon prefix, so the daemon
     * and our scan never list a half-written object), then published: a new key with a hard link, which the
     * file system refuses atomically when the key exists; a replaced key with an atomic rename after its
     * version was checked. The copy keeps the source's modification time, so a quarantined or restored object
     * keeps its age. Remaining window: between that last check and the rename (a replace) or the unlink (a
     * delete), a writer that changes the same file within microseconds is not seen; the daemon writes a key
     * once per install and never rewrites it in place.
     */
    @Override
    public StoredObject copy(StoredObject source, String targetKey, StoredObject expectedTarget) {
        Path from = existingFile(source.key(), "copy");
        VersionGuard.requireVersion(this, source, "copy source");
        Path target = writableFile(targetKey, "copy");
        VersionGuard.requireTarget(this, targetKey, expectedTarget, "copy");
        Path tmp = temporaryFile("copy");
        try {
            try {
                Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.setLastModifiedTime(tmp, FileTime.from(source.lastModified()));
            } catch (IOException e) {
                listener.onRequest("copy", false);
                throw new StorageException("cannot copy " + from + " to " + tmp + ": " + e, e);
            }
            VersionGuard.requireVersion(this, source, "copy source"); // unchanged while it was read
            publish(tmp, target, targetKey, expectedTarget, "copy");
        } finally {
            deleteQuietly(tmp);
        }
        listener.onRequest("copy", true);
        return head(targetKey).orElseThrow(() -> new StorageException("'" + targetKey + "' vanished right after it was written"));
    }

    @Override
    public StoredObject put(String key, InputStream content, long length, StoredObject expectedTarget) {
        Path target = writableFile(key, "put");
        VersionGuard.requireTarget(this, key, expectedTarget, "put");
        Path tmp = temporaryFile("put");
        try {
            long written;
            try {
                written = Files.copy(content, tmp, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                listener.onRequest("put", false);
                throw new StorageException("cannot write " + tmp + ": " + e, e);
            }
            if (written != length) {
                listener.onRequest("put", false);
                throw new StorageException("put '" + key + "': expected " + length + " bytes, got " + written);
            }
            publish(tmp, target, key, expectedTarget, "put");
        } finally {
            deleteQuietly(tmp);
        }
        listener.onRequest("put", true);
        return head(key).orElseThrow(() -> new StorageException("'" + key + "' vanished right after it was written"));
    }

    @Override
    public void delete(StoredObject expected) {
        Path file = existingFile(expected.key(), "delete");
        VersionGuard.requireVersion(this, expected, "delete");
        try {
            Files.delete(file);
            listener.onRequest("delete", true);
        } catch (NoSuchFileException e) {
            listener.onRequest("delete", false);
            throw new ObjectChangedException("'" + expected.key() + "' is gone: not deleted by us", e);
        } catch (IOException e) {
            listener.onRequest("delete", false);
            throw new StorageException("cannot delete " + file + ": " + e, e);
        }
    }

    private Path temporaryFile(String operation) {
        requireRootDirectory(operation);
        try {
            Path folder = Files.createDirectories(root.resolve(TEMPORARY_FOLDER));
            return Files.createTempFile(folder, "write-", ".tmp");
        } catch (IOException e) {
            listener.onRequest(operation, false);
            throw new StorageException("cannot create a temporary file under " + root.resolve(TEMPORARY_FOLDER) + ": " + e, e);
        }
    }

    private void publish(Path tmp, Path target, String key, StoredObject expectedTarget, String operation) {
        try {
            Files.createDirectories(target.getParent());
            if (expectedTarget == null) {
                try {
                    Files.createLink(target, tmp); // fails atomically when the key exists
                } catch (UnsupportedOperationException e) {
                    Files.move(tmp, target); // no hard links here: checks existence, then renames
                }
            } else {
                VersionGuard.requireTarget(this, key, expectedTarget, operation);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (FileAlreadyExistsException e) {
            // Unlike S3 (LostAnswer), never our own earlier attempt: a file-system call is made once, not retried,
            // so an existing key here is always another writer's, even with identical bytes.
            listener.onRequest(operation, false);
            throw new ObjectChangedException("'" + key + "' appeared while it was written: not overwritten", e);
        } catch (IOException e) {
            listener.onRequest(operation, false);
            throw new StorageException("cannot write " + target + ": " + e, e);
        }
    }

    private Path existingFile(String key, String operation) {
        return fileOf(key).orElseThrow(() -> {
            listener.onRequest(operation, false);
            return new StorageException("'" + key + "' is not a valid key in " + describe());
        });
    }

    private Path writableFile(String key, String operation) {
        Path file = existingFile(key, operation);
        if (key.startsWith(TEMPORARY_FOLDER + "/")) {
            throw new StorageException("'" + key + "' is in our temporary folder, which is not for objects");
        }
        return file;
    }

    private static void deleteQuietly(Path tmp) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            LOG.warnf("could not delete temporary file %s: %s", tmp, e);
        }
    }

    @Override
    public void checkReachable() {
        requireRootDirectory("list");
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            entries.iterator().hasNext();
            listener.onRequest("list", true);
        } catch (IOException | DirectoryIteratorException e) {
            listener.onRequest("list", false);
            throw new StorageException("cannot list local storage root " + root + ": " + e, e);
        }
    }

    @Override
    public String describe() {
        return "local:" + root;
    }

    private void requireRootDirectory(String operation) {
        // The root itself may be a symbolic link (a mounted volume): follow it, unlike links below it.
        if (!Files.isDirectory(root)) {
            listener.onRequest(operation, false);
            throw new StorageException("local storage root " + root + (Files.exists(root) ? " is not a directory" : " does not exist")
                    + " (check PLUGIN_STORAGE_LOCAL_ROOT)");
        }
    }

    /**
     * The directory for a key prefix ending in '/', or empty when no key can live under it: when the prefix
     * cannot be a path, or a folder on the way does not exist or is a regular file (that file is an object
     * of its own, as in S3, and nothing is stored under it). A folder on the way that exists but cannot be
     * read (a symbolic link, which list() never follows, a device, unreadable attributes) fails the listing:
     * reading it as empty would make every row that needs an object under it look broken.
     */
    private Optional<Path> directoryOf(String directoryKey) {
        if (directoryKey.isEmpty()) {
            return Optional.of(root);
        }
        Optional<Path> directory = resolve(directoryKey.substring(0, directoryKey.length() - 1));
        if (directory.isEmpty()) {
            return directory;
        }
        Path level = root;
        for (Path segment : root.relativize(directory.get())) {
            level = level.resolve(segment);
            BasicFileAttributes attributes;
            try {
                attributes = Files.readAttributes(level, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                listener.onRequest("list", true);
                return Optional.empty();
            } catch (IOException e) {
                listener.onRequest("list", false);
                throw new StorageException("cannot read folder " + level + " of prefix '" + directoryKey + "': " + e, e);
            }
            if (attributes.isRegularFile()) {
                listener.onRequest("list", true);
                return Optional.empty();
            }
            if (!attributes.isDirectory()) {
                listener.onRequest("list", false);
                throw new StorageException("folder " + level + " of prefix '" + directoryKey + "' exists but is "
                        + (attributes.isSymbolicLink() ? "a symbolic link, which is not followed" : "not a folder")
                        + "; nothing under it can be listed, so the scan stops instead of reading it as empty");
            }
        }
        return directory;
    }

    private Optional<Path> fileOf(String key) {
        return key == null || key.isEmpty() || key.endsWith("/") ? Optional.empty() : resolve(key);
    }

    /**
     * Maps '/'-separated segments onto the root. Segments that no file name can have ("", ".", "..") mean
     * no object can have this key; they must not be resolved, or ".." would escape the root.
     */
    private Optional<Path> resolve(String relative) {
        Path path = root;
        for (String segment : relative.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return Optional.empty();
            }
            try {
                path = path.resolve(segment);
            } catch (InvalidPathException e) {
                return Optional.empty();
            }
        }
        return Optional.of(path);
    }

    private static StoredObject toObject(String key, BasicFileAttributes attributes) {
        return new StoredObject(key, attributes.size(), attributes.lastModifiedTime().toInstant());
    }

    /** One directory entry: its key (directories with a trailing '/', which is also its sort key). */
    private record Entry(String key, Path path, BasicFileAttributes attributes) {
        boolean isDirectory() {
            return attributes.isDirectory();
        }
    }

    /** Holds one sorted directory listing per level of the current path, never the whole tree. */
    private final class DepthFirstWalk implements Iterator<StoredObject> {
        private final Deque<Iterator<Entry>> levels = new ArrayDeque<>();
        private StoredObject next;
        private String previousKey;

        DepthFirstWalk(Path start, String startKey, String namePrefix) {
            levels.push(children(start, startKey, namePrefix).iterator());
        }

        @Override
        public boolean hasNext() {
            while (next == null && !levels.isEmpty()) {
                Iterator<Entry> level = levels.peek();
                if (!level.hasNext()) {
                    levels.pop();
                    continue;
                }
                Entry entry = level.next();
                if (entry.isDirectory()) {
                    levels.push(children(entry.path(), entry.key(), "").iterator());
                } else {
                    next = checkedOrder(toObject(entry.key(), entry.attributes()));
                }
            }
            return next != null;
        }

        @Override
        public StoredObject next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            StoredObject result = next;
            next = null;
            return result;
        }

        /** Sorted by construction; checked anyway because a wrong order would become wrong findings. */
        private StoredObject checkedOrder(StoredObject object) {
            if (previousKey != null && KeyOrder.compare(previousKey, object.key()) >= 0) {
                throw new StorageException("listing out of order in " + describe() + ": '" + object.key()
                        + "' came after '" + previousKey + "'");
            }
            previousKey = object.key();
            return object;
        }
    }

    /** One directory's entries that start with {@code namePrefix}, sorted by key (a folder's key ends in '/'). */
    private List<Entry> children(Path directory, String directoryKey, String namePrefix) {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            for (Path child : stream) {
                String name = child.getFileName().toString();
                if (name.startsWith(namePrefix)) {
                    entryOf(child, directoryKey + name).ifPresent(entries::add);
                }
            }
            listener.onRequest("list", true);
        } catch (NoSuchFileException e) {
            // Deleted since its parent was read (the daemon deletes while we scan): like S3, list what is there.
            listener.onRequest("list", true);
            LOG.debugf("directory %s disappeared while listing", directory);
        } catch (AccessDeniedException e) {
            listener.onRequest("list", false);
            throw new StorageException("permission denied reading directory " + directory
                    + " (the service needs read access to all of " + root + ")", e);
        } catch (IOException | DirectoryIteratorException e) {
            listener.onRequest("list", false);
            throw new StorageException("cannot read directory " + directory + ": " + e, e);
        }
        entries.sort(Comparator.comparing(Entry::key, KeyOrder.COMPARATOR));
        return entries;
    }

    private Optional<Entry> entryOf(Path child, String key) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(child, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            LOG.debugf("%s disappeared while listing", child);
            return Optional.empty();
        }
        if (attributes.isDirectory()) {
            return Optional.of(new Entry(key + "/", child, attributes));
        }
        if (attributes.isRegularFile()) {
            return Optional.of(new Entry(key, child, attributes));
        }
        LOG.debugf("skipping %s: %s", child, attributes.isSymbolicLink() ? "symbolic link" : "not a regular file");
        return Optional.empty();
    }
}
