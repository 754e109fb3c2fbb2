package dify.reconciler.doctor;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.remediate.record.QuarantinePrefix;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The doctor's storage lines: each daemon prefix listed (its first object only) and, under the prefixes a scan
 * downloads from ({@code plugin_packages/}, {@code plugin/}), that object's first bytes read. Armed only, and only
 * under the quarantine prefix (never under a daemon prefix): a probe object written, read back and deleted (its
 * last-modified is the storage's clock), and an object whose key contains {@code :} and {@code @}, as every
 * installed key does, round-tripped: some file systems under local storage reject {@code :}, which breaks every
 * daemon install (langgenius/dify-plugin-daemon#314, langgenius/dify#28239).
 */
public final class StorageChecks {

    /** Under the quarantine prefix; the restore and purge code never meets it (it is no quarantined item). */
    static final String PROBE_FOLDER = "doctor-probe/";

    private final ObjectStorage storage;
    private final StorageLayout layout;
    private final QuarantinePrefix quarantine;
    private final Clock clock;
    private final String skipped;

    /** @param quarantine where the armed probes write; null in report mode (nothing is written). */
    public StorageChecks(ObjectStorage storage, StorageLayout layout, QuarantinePrefix quarantine, Clock clock) {
        this(storage, layout, quarantine, clock, "report mode writes nothing");
    }

    /** @param skipped why nothing is written when {@code quarantine} is null, shown on the two probe lines */
    public StorageChecks(ObjectStorage storage, StorageLayout layout, QuarantinePrefix quarantine, Clock clock, String skipped) {
        this.storage = storage;
        this.layout = layout;
        this.quarantine = quarantine;
        this.clock = clock;
        this.skipped = skipped;
    }

    /** What the checks found; {@code clock} is null unless the armed probe measured the storage's clock. */
    public record Result(List<DoctorCheck> checks, ClockSample clock) {
    }

    public Result run() {
        List<DoctorCheck> checks = new ArrayList<>();
        for (String prefix : List.of(layout.packages(), layout.installedListing(), layout.assets(), layout.persistence())) {
            boolean read = prefix.equals(layout.packages()) || prefix.equals(layout.installedListing());
            checks.add(prefix(prefix, read));
        }
        ClockSample sample = null;
        if (quarantine == null) {
            checks.add(DoctorCheck.ok("storage write probe", "skipped: " + skipped + " (armed, a probe object is"
                    + " written, read and deleted under the quarantine prefix)"));
            checks.add(DoctorCheck.ok("storage key with ':' and '@'", "skipped: " + skipped + " (armed, such a key is"
                    + " round-tripped under the quarantine prefix)"));
        } else {
            ProbeOutcome probe = probe(quarantine.keyFor(PROBE_FOLDER + "probe-" + UUID.randomUUID()), "storage write probe");
            checks.add(probe.check());
            sample = probe.sample();
            String hostile = quarantine.keyFor(PROBE_FOLDER + "langgenius/probe:0.0.1@"
                    + UUID.randomUUID().toString().replace("-", "") + ".difypkg");
            checks.add(probe(hostile, "storage key with ':' and '@'").check());
        }
        return new Result(checks, sample);
    }

    private DoctorCheck prefix(String prefix, boolean read) {
        String name = "storage " + prefix;
        Optional<StoredObject> first;
        try (Stream<StoredObject> listing = storage.list(prefix)) {
            first = listing.findFirst();
        } catch (RuntimeException e) {
            return DoctorCheck.fail(name, "cannot list " + prefix + " in " + storage.describe() + ": " + DatabaseChecks.message(e),
                    "check the bucket name, endpoint, credentials and the policy: list on " + prefix + "* is needed in every mode"
                            + " (docs/deploying.md, Least privilege per mode)");
        }
        if (first.isEmpty()) {
            return DoctorCheck.ok(name, "listable; empty, so no object to read" + (read ? "" : " (objects here are only listed)"));
        }
        if (!read) {
            return DoctorCheck.ok(name, "listable (objects here are only listed, never read, by a scan)");
        }
        String key = first.get().key();
        try (InputStream in = storage.open(key)) {
            int n = in.readNBytes(4).length;
            return DoctorCheck.ok(name, "listable; " + key + " readable (" + n + " byte(s) read)");
        } catch (IOException | RuntimeException e) {
            return DoctorCheck.fail(name, "listable, but " + key + " cannot be read: " + DatabaseChecks.message(e),
                    "allow reading objects under " + prefix + " (s3:GetObject on " + prefix + "* or the backend's equivalent):"
                            + " a scan downloads from here");
        }
    }

    private record ProbeOutcome(DoctorCheck check, ClockSample sample) {
    }

    /** Writes, lists, reads back and deletes one object at {@code key}; deletes it whatever failed after the write. */
    private ProbeOutcome probe(String key, String name) {
        byte[] content = ("dify-plugin-reconciler doctor probe " + key).getBytes(StandardCharsets.UTF_8);
        String step = "write";
        StoredObject written = null;
        try {
            Instant before = clock.instant();
            written = storage.put(key, content, null);
            Instant after = clock.instant();
            step = "find in a listing";
            String folder = key.substring(0, key.lastIndexOf('/') + 1);
            Optional<StoredObject> listed;
            try (Stream<StoredObject> listing = storage.list(folder)) {
                listed = listing.filter(o -> o.key().equals(key)).findFirst();
            }
            if (listed.isEmpty()) {
                throw new IllegalStateException("written, but a listing of " + folder + " does not show it under the same key");
            }
            step = "read back";
            byte[] back;
            try (InputStream in = storage.open(key)) {
                back = in.readAllBytes();
            }
            if (!Arrays.equals(back, content)) {
                throw new IllegalStateException(
                        "read back " + back.length + " byte(s) that differ from the " + content.length + " written");
            }
            step = "delete";
            StoredObject current = storage.head(key).orElseThrow(() -> new IllegalStateException("gone before it was deleted"));
            storage.delete(current);
            written = null;
            ClockSample sample = current.lastModified() == null
                    ? null
                    : new ClockSample("storage", before, current.lastModified(), after, Duration.ofSeconds(1));
            return new ProbeOutcome(DoctorCheck.ok(name, key + " written, listed, read back and deleted"), sample);
        } catch (IOException | RuntimeException e) {
            String why = "cannot " + step + " " + key + " in " + storage.describe() + ": " + DatabaseChecks.message(e);
            String fix = name.contains(":")
                    ? "the storage rejects ':' or '@' in keys, so the daemon cannot install any plugin (its installed keys are"
                            + " <plugin>:<version>@<hash>; langgenius/dify-plugin-daemon#314, langgenius/dify#28239): with local"
                            + " storage put PLUGIN_STORAGE_LOCAL_ROOT on a file system that allows ':' in file names (not SMB/CIFS"
                            + " or a Windows host folder), or use an object store"
                    : "armed mode writes and deletes under " + quarantine.value() + ": allow put, get, list and delete there"
                            + " (docs/deploying.md, Least privilege per mode); for local storage the folder must be writable";
            return new ProbeOutcome(DoctorCheck.fail(name, why + cleanup(written), fix), null);
        }
    }

    /** Deletes a probe object left behind by a failure; says so if even that fails. */
    private String cleanup(StoredObject written) {
        if (written == null) {
            return "";
        }
        try {
            storage.head(written.key()).ifPresent(storage::delete);
            return "";
        } catch (RuntimeException e) {
            return "; the probe object " + written.key() + " is left behind (" + DatabaseChecks.message(e) + ")";
        }
    }
}
