package dify.reconciler.catalog;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Inspects the package files named on the command line, one line each ({@code identifier} or
 * {@code refused <problem>}). Run by {@link SmallHeapInspectionTest} in a JVM with a tiny heap: a reader that
 * held an entry, or a bomb's output, in memory would die of OutOfMemoryError there.
 */
public final class SmallHeapInspection {

    private SmallHeapInspection() {
    }

    public static void main(String[] args) throws Exception {
        for (String file : args) {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(Path.of(file)))) {
                System.out.println(PluginPackageInspector.inspect(in).identifier());
            } catch (InvalidPackageException e) {
                System.out.println("refused " + e.problem());
            }
        }
        System.out.println("max heap " + Runtime.getRuntime().maxMemory());
    }
}
