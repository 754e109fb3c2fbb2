package dify.reconciler.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

/** Writes objects as files under a root folder, the daemon's {@code local} storage layout. */
public final class LocalObjectWriter implements ObjectWriter {

    private final Path root;

    public LocalObjectWriter(Path root) {
        this.root = root;
    }

    @Override
    public void put(String key, byte[] content) {
        Path file = resolve(key);
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Ages an object (its file's mtime), which S3 cannot do. */
    public void setLastModified(String key, Instant lastModified) {
        try {
            Files.setLastModifiedTime(resolve(key), FileTime.from(lastModified));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path resolve(String key) {
        return root.resolve(key);
    }
}
