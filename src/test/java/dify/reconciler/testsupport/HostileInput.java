package dify.reconciler.testsupport;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded generators of hostile input for property tests: strings from every Unicode plane (and broken
 * UTF-16), keys with {@code ..}, {@code //}, very long names and keys that are prefixes of others. Plain
 * {@link SplittableRandom} with a seed per try, so a failure names the seed that reproduces it
 * ({@code -Dhostile.seed=N -Dhostile.tries=1}); {@code -Dhostile.tries} runs a longer sweep, and the
 * {@code fault-sweep} Maven profile ({@code -Dfault.sweep=true}) runs {@link #SWEEP_FACTOR} times the default tries.
 */
public final class HostileInput {

    /** The first seed of a run; fixed so CI is reproducible, overridable to explore. */
    public static final long BASE_SEED = Long.getLong("hostile.seed", 20261129L);

    /** How many times the default tries the opt-in fault sweep runs. */
    public static final int SWEEP_FACTOR = 20;

    private final SplittableRandom random;

    private HostileInput(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /**
     * Runs {@code property} for {@code defaultTries} seeds (or {@code -Dhostile.tries}, or {@link #SWEEP_FACTOR} times
     * as many in the fault sweep); a failure is rethrown with the seed that reproduces it.
     */
    public static void forEachSeed(int defaultTries, SeededProperty property) {
        int tries = Integer.getInteger("hostile.tries", Boolean.getBoolean("fault.sweep") ? defaultTries * SWEEP_FACTOR : defaultTries);
        for (int i = 0; i < tries; i++) {
            long seed = BASE_SEED + i;
            try {
                property.check(new HostileInput(seed));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("property failed for seed " + seed + " (reproduce with -Dhostile.seed=" + seed
                        + " -Dhostile.tries=1): " + e.getMessage(), e);
            } catch (Exception e) {
                throw new AssertionError("property failed for seed " + seed + ": " + e, e);
            }
        }
    }

    /** One try of a property. */
    @FunctionalInterface
    public interface SeededProperty {
        void check(HostileInput in) throws Exception;
    }

    public int nextInt(int bound) {
        return random.nextInt(bound);
    }

    public int between(int min, int max) {
        return min + random.nextInt(max - min + 1);
    }

    public boolean chance(double p) {
        return random.nextDouble() < p;
    }

    public <T> T pick(List<T> options) {
        return options.get(random.nextInt(options.size()));
    }

    public byte[] bytes(int length) {
        byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }

    /** A string from the given alphabet. */
    public String of(String alphabet, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    /**
     * Any string: code points from every plane (BMP, supplementary, private use), controls, NUL, look-alikes
     * of {@code : / @}, and, when {@code brokenUtf16}, unpaired surrogates (which no UTF-8 key can hold).
     */
    public String anyString(int maxLength, boolean brokenUtf16) {
        int length = random.nextInt(maxLength + 1);
        StringBuilder sb = new StringBuilder();
        while (sb.length() < length) {
            int kind = random.nextInt(10);
            switch (kind) {
                case 0 -> sb.append((char) random.nextInt(0x20)); // controls and NUL
                case 1 -> sb.append(pick(List.of(":", "/", "@", ".", "..", "\\", "\uFF1A", "\u2215", "\uFF20", "%2F", " ")));
                case 2 -> sb.appendCodePoint(0x10000 + random.nextInt(0x10FFFF - 0x10000 + 1)); // supplementary planes
                case 3 -> sb.appendCodePoint(0xE000 + random.nextInt(0x1900)); // private use
                case 4 -> {
                    if (brokenUtf16) {
                        sb.append((char) (0xD800 + random.nextInt(0x800))); // a lone surrogate
                    } else {
                        sb.append('x');
                    }
                }
                default -> {
                    int cp = random.nextInt(0xD800);
                    sb.appendCodePoint(cp);
                }
            }
        }
        return sb.toString();
    }

    /**
     * A key a bucket could hold: under one of {@code prefixes} (a daemon prefix, a look-alike or none), made of
     * segments that may be empty ({@code //}), {@code .} or {@code ..}, very long, or any string; sometimes a
     * prefix of another key it returned before. At most 1,024 UTF-8 bytes, as S3 allows.
     */
    public String key(List<String> prefixes, List<String> earlier) {
        return key(prefixes, earlier, false);
    }

    /**
     * As {@link #key(List, List)}; when {@code mostlyHoldable}, the segments a folder cannot hold (empty, {@code .},
     * {@code ..}, longer than 255 bytes) are drawn rarely instead of in nearly half the segments, so a real folder (or
     * S3Proxy's file-system backend) can hold most keys and a filter drops the rest (see {@code FolderKeys}).
     */
    public String key(List<String> prefixes, List<String> earlier, boolean mostlyHoldable) {
        if (!earlier.isEmpty() && chance(0.1)) {
            String other = pick(earlier);
            return other.substring(0, Math.max(1, random.nextInt(other.length()) + 1));
        }
        StringBuilder sb = new StringBuilder(pick(prefixes));
        int segments = between(1, 4);
        for (int i = 0; i < segments; i++) {
            if (i > 0 || !sb.isEmpty()) {
                sb.append('/');
            }
            int kind = random.nextInt(8);
            if (mostlyHoldable && kind <= 2 && !chance(0.1)) {
                kind = 4 + random.nextInt(4);
            }
            sb.append(switch (kind) {
                case 0 -> "";
                case 1 -> ".";
                case 2 -> "..";
                case 3 -> of("abcdef0123456789", mostlyHoldable ? between(200, 270) : between(200, 600));
                case 4 -> validLookingIdentifier();
                default -> anyString(40, false);
            });
        }
        String key = sb.toString();
        while (key.getBytes(StandardCharsets.UTF_8).length > 1024) {
            key = key.substring(0, key.length() - 1);
        }
        if (!key.isEmpty() && Character.isHighSurrogate(key.charAt(key.length() - 1))) {
            key = key.substring(0, key.length() - 1) + "x";
        }
        return key;
    }

    /** {@code count} distinct keys. */
    public List<String> keys(int count, List<String> prefixes) {
        return keys(count, prefixes, false);
    }

    /** {@code count} distinct keys, {@linkplain #key(List, List, boolean) mostly holdable} by a folder when asked. */
    public List<String> keys(int count, List<String> prefixes, boolean mostlyHoldable) {
        List<String> keys = new ArrayList<>();
        while (keys.size() < count) {
            String k = key(prefixes, keys, mostlyHoldable);
            if (!k.isEmpty() && !keys.contains(k)) {
                keys.add(k);
            }
        }
        return keys;
    }

    /** Something shaped like an identifier, valid or one edit away from it. */
    public String validLookingIdentifier() {
        String author = chance(0.3) ? "" : of("abcdefghijklmnopqrstuvwxyz0123456789_-", between(1, 64)) + "/";
        String name = of("abcdefghijklmnopqrstuvwxyz0123456789_-", between(1, 40));
        String version = between(0, 9999) + "." + between(0, 9999) + (chance(0.5) ? "." + between(0, 9) : "");
        String checksum = of("0123456789abcdef", chance(0.8) ? 64 : between(30, 66));
        String uid = author + name + ":" + version + "@" + checksum;
        return switch (random.nextInt(6)) {
            case 0 -> uid.replace(":", "\uFF1A");
            case 1 -> uid.toUpperCase();
            default -> uid;
        };
    }
}
