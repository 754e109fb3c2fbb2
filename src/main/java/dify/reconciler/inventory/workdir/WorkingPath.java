package dify.reconciler.inventory.workdir;

import dify.reconciler.catalog.PluginIdentifier;
import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The plugin daemon's working path ({@code PLUGIN_WORKING_PATH}) as this node's volume shows it, read-only. The
 * daemon extracts each local plugin it launches into {@code <root>/<author>/<name>-<version>@<checksum>} (or
 * {@code <root>/<name>-<version>@<checksum>} without an author) and builds its Python environment there.
 *
 * <p>Streams: two directory levels are read one entry at a time and each plugin folder is handed over as it is
 * found; no list of folders or paths is kept. Links are never followed. Any folder that cannot be read throws,
 * naming the folder: a scan that could not see the whole working path is a failed scan, never a clean one.
 */
public final class WorkingPath {

    /** The folder name: the identity {@code name:version} with {@code :} replaced by {@code -}, then the checksum. */
    private static final Pattern FOLDER = Pattern.compile(
            "([a-z0-9_-]{1,255})-([0-9]{1,4}(?:\\.[0-9]{1,4}){1,3}(?:-\\w{1,16})?)@([a-f0-9]{32,64})");
    private static final Pattern AUTHOR = Pattern.compile("[a-z0-9_-]{1,64}");

    /** Visits one plugin folder; may read it (and throw when it cannot). */
    @FunctionalInterface
    public interface FolderVisitor {
        void visit(PluginFolder folder) throws IOException;
    }

    private final Path root;
    private long pluginFolders;
    private long unrecognizedEntries;

    public WorkingPath(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** Plugin folders found by the last walk. */
    public long pluginFolders() {
        return pluginFolders;
    }

    /** Entries of the first two levels that are not plugin folders (files, links, other names): not judged. */
    public long unrecognizedEntries() {
        return unrecognizedEntries;
    }

    public void forEachPluginFolder(FolderVisitor visitor) throws IOException {
        BasicFileAttributes rootAttributes;
        try {
            rootAttributes = Files.readAttributes(root, BasicFileAttributes.class); // the mount point itself may be a link
        } catch (NoSuchFileException e) {
            throw new IOException("the working path " + root + " does not exist (is the daemon's volume mounted?)", e);
        }
        if (!rootAttributes.isDirectory()) {
            throw new IOException("the working path " + root + " is not a directory");
        }
        try (DirectoryStream<Path> top = open(root)) {
            for (Path entry : top) {
                BasicFileAttributes attributes = attributes(entry);
                String name = entry.getFileName().toString();
                Matcher folder = FOLDER.matcher(name);
                if (!attributes.isDirectory()) {
                    unrecognizedEntries++;
                } else if (folder.matches()) {
                    visitFolder(null, entry, folder, attributes, visitor);
                } else if (AUTHOR.matcher(name).matches()) {
                    visitAuthor(name, entry, visitor);
                } else {
                    unrecognizedEntries++;
                }
            }
        } catch (DirectoryIteratorException e) {
            throw unreadable(root, e.getCause());
        }
    }

    private void visitAuthor(String author, Path dir, FolderVisitor visitor) throws IOException {
        try (DirectoryStream<Path> entries = open(dir)) {
            for (Path entry : entries) {
                BasicFileAttributes attributes = attributes(entry);
                Matcher folder = FOLDER.matcher(entry.getFileName().toString());
                if (attributes.isDirectory() && folder.matches()) {
                    visitFolder(author, entry, folder, attributes, visitor);
                } else {
                    unrecognizedEntries++;
                }
            }
        } catch (DirectoryIteratorException e) {
            throw unreadable(dir, e.getCause());
        }
    }

    private void visitFolder(String author, Path dir, Matcher folder, BasicFileAttributes attributes, FolderVisitor visitor)
            throws IOException {
        String uid = PluginIdentifier.of(author, folder.group(1), folder.group(2), folder.group(3));
        if (!PluginIdentifier.isValid(uid)) {
            unrecognizedEntries++;
            return;
        }
        pluginFolders++;
        visitor.visit(new PluginFolder(root, dir, uid, attributes.lastModifiedTime().toInstant()));
    }

    private static DirectoryStream<Path> open(Path dir) throws IOException {
        try {
            return Files.newDirectoryStream(dir);
        } catch (IOException e) {
            throw unreadable(dir, e);
        }
    }

    private static BasicFileAttributes attributes(Path entry) throws IOException {
        try {
            return Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw unreadable(entry, e);
        }
    }

    private static IOException unreadable(Path path, IOException cause) {
        return new IOException("cannot read " + path + " in the working path: " + cause, cause);
    }
}
