package dify.reconciler.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.stream.Stream;

/**
 * A real folder laid out as the plugin daemon lays out {@code PLUGIN_WORKING_PATH}: {@code <author>/<name>-<version>@
 * <checksum>} (the identity with {@code :} replaced by {@code -}, {@code buildPluginWorkingPath}), the extracted
 * package, and the {@code .venv} that {@code uv venv .venv --python 3.12} and the dependency install leave: links
 * {@code bin/python}, {@code bin/python3}, {@code bin/python3.12}, {@code pyvenv.cfg}, {@code lib/python3.12/site-packages}
 * and the daemon's marker {@code dify/plugin.json}. Each method returns the folder so a test can break one thing.
 */
public final class DaemonWorkingPath {

    private final Path root;
    private long bytesWritten;

    public DaemonWorkingPath(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** The folder of {@code uid} ({@code [author/]name:version@checksum}), not created. */
    public Path folderOf(String uid) {
        return root.resolve(uid.replace(':', '-'));
    }

    /** The extracted package only: what is there before the daemon builds the environment. */
    public Path extracted(String uid, String dependencyFile) {
        Path dir = folderOf(uid);
        write(dir.resolve("manifest.yaml"), "version: 0.0.1\ntype: plugin\nauthor: langgenius\nname: x\n");
        write(dir.resolve("main.py"), "from dify_plugin import Plugin, DifyPluginEnv\nplugin = Plugin(DifyPluginEnv())\n");
        write(dir.resolve("provider/x.yaml"), "identity:\n  name: x\n");
        if (dependencyFile != null) {
            write(dir.resolve(dependencyFile), dependencyFile.equals("requirements.txt")
                    ? "dify_plugin>=0.4.0,<0.5.0\n"
                    : "[project]\nname = \"x\"\nversion = \"0.0.1\"\ndependencies = [\"dify_plugin>=0.4.0\"]\n");
        }
        return dir;
    }

    /**
     * As the official daemon image leaves it: the interpreter is the image's {@code /usr/bin/python3.12}, outside the
     * volume (a sidecar cannot see it).
     */
    public Path installedOnTheImagesPython(String uid, String dependencyFile) {
        Path dir = extracted(uid, dependencyFile);
        Path venv = dir.resolve(".venv");
        link(venv.resolve("bin/python"), Path.of("/usr/bin/python3.12"));
        link(venv.resolve("bin/python3"), Path.of("python"));
        link(venv.resolve("bin/python3.12"), Path.of("python"));
        pyvenvCfg(venv, "/usr/bin");
        sitePackages(venv);
        write(venv.resolve("dify/plugin.json"), "{\"timestamp\":1754000000}");
        return dir;
    }

    /**
     * An environment that carries its interpreter and standard library inside the volume ({@code home} is its own
     * {@code bin}): {@code bin/python -> python3.12}, a real {@code bin/python3.12} and {@code lib/python3.12/encodings}.
     */
    public Path installedSelfContained(String uid) {
        Path dir = extracted(uid, "requirements.txt");
        Path venv = dir.resolve(".venv");
        write(venv.resolve("bin/python3.12"), "\u007fELF interpreter copy");
        link(venv.resolve("bin/python"), Path.of("python3.12"));
        link(venv.resolve("bin/python3"), Path.of("python3.12"));
        pyvenvCfg(venv, venv.resolve("bin").toString());
        write(venv.resolve("lib/python3.12/encodings/__init__.py"), "\"\"\" Standard \"encodings\" Package \"\"\"\n");
        write(venv.resolve("lib/python3.12/encodings/utf_8.py"), "import codecs\n");
        write(venv.resolve("lib/python3.12/os.py"), "import abc\n");
        sitePackages(venv);
        write(venv.resolve("dify/plugin.json"), "{\"timestamp\":1754000000}");
        return dir;
    }

    /** Sets the time of the folder and its {@code .venv} (the daemon's install moves both). */
    public void age(Path dir, Instant at) {
        try {
            Files.setLastModifiedTime(dir, FileTime.from(at));
            Path venv = dir.resolve(".venv");
            if (Files.isDirectory(venv, LinkOption.NOFOLLOW_LINKS)) {
                Files.setLastModifiedTime(venv, FileTime.from(at));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Ages every folder of the first two levels. */
    public void ageAll(Instant at) {
        try (Stream<Path> top = Files.list(root)) {
            for (Path entry : top.toList()) {
                if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    try (Stream<Path> second = Files.list(entry)) {
                        for (Path folder : second.toList()) {
                            if (Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
                                age(folder, at);
                            }
                        }
                    }
                    age(entry, at);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes of the regular files written so far (links excluded), to compare with what the scan counts. */
    public long bytesWritten() {
        return bytesWritten;
    }

    public void write(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                bytesWritten -= Files.size(file);
            }
            Files.write(file, bytes);
            bytesWritten += bytes.length;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void delete(Path file) {
        try {
            if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                bytesWritten -= Files.size(file);
            }
            Files.delete(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes the working path and everything under it (links themselves, never their targets). */
    public void deleteAll() {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path path : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void link(Path link, Path target) {
        try {
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void pyvenvCfg(Path venv, String home) {
        write(venv.resolve("pyvenv.cfg"), "home = " + home + "\nimplementation = CPython\nuv = 0.8.13\nversion_info = 3.12.3\n"
                + "include-system-site-packages = false\nprompt = x\n");
    }

    private void sitePackages(Path venv) {
        Path site = venv.resolve("lib/python3.12/site-packages");
        write(site.resolve("dify_plugin/__init__.py"), "from .plugin import Plugin\n");
        write(site.resolve("dify_plugin-0.4.3.dist-info/METADATA"), "Metadata-Version: 2.1\nName: dify_plugin\n");
        write(site.resolve("_virtualenv.pth"), "import _virtualenv\n");
    }
}
