package dify.reconciler.inventory.storage;

import java.io.InputStream;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The daemon's keys under a root folder of the bucket, as the daemon's Aliyun storage keeps them: daemon key K is
 * the object {@code path.Join(root, K)} ({@link GoPath#join}), where root is {@code ALIYUN_OSS_PATH} with one leading
 * {@code /} trimmed. Keys go in and come out as daemon keys; every request the delegate sees is under
 * {@code <clean root>/}, so objects outside the root, look-alike siblings ({@code x/y-old/…} beside {@code x/y/…})
 * included, are never listed, read or written. The quarantine prefix, being a daemon-relative key like any other, lives
 * under the same root.
 *
 * <p>A key K whose {@code path.Join(root, K)} is not simply {@code <root>/K} ({@code a//b}, {@code ./a}, {@code a/../b},
 * a trailing {@code /}) is not one the daemon can address the way it was listed: such an object (written by something
 * else) is listed under its literal name, and any read or write of it is refused, so we never act on another object
 * than the one reported.
 */
public final class RootedObjectStorage implements ObjectStorage {

    private final ObjectStorage delegate;
    /** {@code path.Clean(root)} and a slash, or empty when the root is empty or {@code .}. */
    private final String rootPrefix;
    private final String root;
    private final String rootSetting;

    /**
     * @param root the root as the daemon uses it (one leading {@code /} already trimmed); empty for none
     * @param rootSetting names the setting in messages, e.g. {@code ALIYUN_OSS_PATH}
     */
    public RootedObjectStorage(ObjectStorage delegate, String root, String rootSetting) {
        this.delegate = delegate;
        this.root = root;
        this.rootSetting = rootSetting;
        this.rootPrefix = rootPrefix(root);
    }

    /** {@code path.Clean(root)} and a slash: what every stored key of the daemon starts with (empty: no root). */
    public static String rootPrefix(String root) {
        String clean = GoPath.clean(root);
        return root.isEmpty() || clean.equals(".") ? "" : (clean.equals("/") ? "/" : clean + "/");
    }

    /** The daemon's own rule for where its key {@code key} lives, {@code path.Join(root, key)}. */
    public static String daemonObjectKey(String root, String key) {
        return GoPath.join(root, key);
    }

    @Override
    public Stream<StoredObject> list(String prefix) {
        String safePrefix = prefix == null ? "" : prefix;
        // A raw string prefix, like every listing: "plugin" still matches "plugin_packages/…", never "x/y-old/…".
        return delegate.list(rootPrefix + safePrefix).map(this::outward);
    }

    @Override
    public Optional<Stream<ListingPart>> listOneLevel(String prefix) {
        String safePrefix = prefix == null ? "" : prefix;
        return delegate.listOneLevel(rootPrefix + safePrefix).map(parts -> parts.map(part -> part.isFolder()
                ? ListingPart.folder(outwardPrefix(part.prefix()))
                : ListingPart.of(outward(part.object()))));
    }

    private String outwardPrefix(String prefix) {
        if (!prefix.startsWith(rootPrefix)) {
            throw new StorageException("'" + prefix + "' from " + delegate.describe() + " is outside the " + rootSetting
                    + " root '" + rootPrefix + "'");
        }
        return prefix.substring(rootPrefix.length());
    }

    @Override
    public InputStream open(String key) {
        return delegate.open(inward(key));
    }

    @Override
    public Optional<StoredObject> head(String key) {
        return delegate.head(inward(key)).map(this::outward);
    }

    @Override
    public StoredObject copy(StoredObject source, String targetKey, StoredObject expectedTarget) {
        return outward(delegate.copy(inward(source), inward(targetKey), expectedTarget == null ? null : inward(expectedTarget)));
    }

    @Override
    public StoredObject put(String key, InputStream content, long length, StoredObject expectedTarget) {
        return outward(delegate.put(inward(key), content, length, expectedTarget == null ? null : inward(expectedTarget)));
    }

    @Override
    public StoredObject put(String key, byte[] content, StoredObject expectedTarget) {
        return outward(delegate.put(inward(key), content, expectedTarget == null ? null : inward(expectedTarget)));
    }

    @Override
    public void delete(StoredObject expected) {
        delegate.delete(inward(expected));
    }

    @Override
    public void checkReachable() {
        delegate.checkReachable();
    }

    @Override
    public String describe() {
        return delegate.describe() + " under " + rootSetting + " root '" + rootPrefix + "'";
    }

    @Override
    public void close() {
        delegate.close();
    }

    private String inward(String key) {
        String stored = rootPrefix + key;
        String daemons = GoPath.join(root, key);
        if (!stored.equals(daemons)) {
            throw new StorageException("key '" + key + "' is not one the daemon can address under " + rootSetting
                    + ": the daemon's path.Join puts it at '" + daemons + "', not at '" + stored
                    + "'; refusing to read or write either");
        }
        return stored;
    }

    private StoredObject inward(StoredObject object) {
        return new StoredObject(inward(object.key()), object.size(), object.lastModified(), object.etag());
    }

    private StoredObject outward(StoredObject stored) {
        if (!stored.key().startsWith(rootPrefix)) {
            throw new StorageException("'" + stored.key() + "' from " + delegate.describe() + " is outside the "
                    + rootSetting + " root '" + rootPrefix + "'");
        }
        return new StoredObject(stored.key().substring(rootPrefix.length()), stored.size(), stored.lastModified(), stored.etag());
    }
}
