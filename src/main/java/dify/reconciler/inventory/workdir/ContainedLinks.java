package dify.reconciler.inventory.workdir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Resolves a path under the working path one component at a time, reading symbolic links instead of letting the
 * operating system follow them, so a link is never followed out of the working path. A link that points outside
 * is reported as such (its target belongs to the daemon's container, which a sidecar cannot see), not resolved.
 */
final class ContainedLinks {

    /** Linux gives up after 40 links (ELOOP); so do we. */
    private static final int MAX_LINKS = 40;

    enum Outcome {
        EXISTS,
        MISSING,
        OUTSIDE,
        LOOP
    }

    /**
     * @param outcome what the path leads to
     * @param where   the resolved path when it exists, the missing path, or the first target outside
     */
    record Resolution(Outcome outcome, Path where) {
    }

    private ContainedLinks() {
    }

    /**
     * @param root absolute, normalized working path
     * @param path absolute path; outside {@code root} it is {@link Outcome#OUTSIDE} at once
     */
    static Resolution resolve(Path root, Path path) throws IOException {
        Path start = path.normalize();
        if (!start.startsWith(root)) {
            return new Resolution(Outcome.OUTSIDE, start);
        }
        Deque<String> remaining = components(root.relativize(start));
        Path current = root;
        int links = 0;
        while (!remaining.isEmpty()) {
            String name = remaining.pop();
            Path next = current.resolve(name);
            BasicFileAttributes attributes;
            try {
                attributes = Files.readAttributes(next, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                return new Resolution(Outcome.MISSING, next);
            }
            if (!attributes.isSymbolicLink()) {
                if (!remaining.isEmpty() && !attributes.isDirectory()) {
                    return new Resolution(Outcome.MISSING, next.resolve(remaining.peek()));
                }
                current = next;
                continue;
            }
            if (++links > MAX_LINKS) {
                return new Resolution(Outcome.LOOP, next);
            }
            Path target = Files.readSymbolicLink(next);
            Path resolved = (target.isAbsolute() ? target : current.resolve(target)).normalize();
            if (!resolved.startsWith(root)) {
                return new Resolution(Outcome.OUTSIDE, resolved);
            }
            // Start again from the root with the target's components, then what was left of the path.
            Deque<String> restarted = components(root.relativize(resolved));
            restarted.addAll(remaining);
            remaining = restarted;
            current = root;
        }
        return new Resolution(Outcome.EXISTS, current);
    }

    private static Deque<String> components(Path relative) {
        Deque<String> names = new ArrayDeque<>();
        if (relative.toString().isEmpty()) {
            return names;
        }
        for (Path name : relative) {
            names.add(name.toString());
        }
        return names;
    }
}
