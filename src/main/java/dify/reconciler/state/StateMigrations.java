package dify.reconciler.state;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.zip.CRC32;
import org.flywaydb.core.api.ResourceProvider;
import org.flywaydb.core.api.resource.LoadableResource;

/**
 * Our Flyway migrations, named here instead of found by scanning the class path (which depends on how the
 * application is packaged). A new migration is a new file in {@code src/main/resources/db/state} and a new
 * entry in {@link #FILES}; a migration, once released, is never edited.
 */
final class StateMigrations implements ResourceProvider {

    static final String FOLDER = "db/state/";
    static final List<String> FILES = List.of("V1__runs_ledger_listings.sql", "V2__remediation.sql", "V3__quarantine_objects.sql",
            "V4__breaker.sql", "V5__cache_invalidation.sql", "V6__purge_and_service_remediation.sql",
            "V7__object_action_completion.sql", "V8__ledger_at_scale.sql", "V9__deep_verify_cache.sql",
            "V10__notify_state.sql", "V11__approval_and_suspension.sql", "V12__ledger_merge.sql", "V13__ledger_compact_evidence.sql",
            "V14__ledger_staging_dictionary.sql", "V15__ledger_byte_order.sql");

    /** One row of Flyway's history table ({@code checksum} null for rows that are not a migration). */
    record Applied(String version, String type, String script, Integer checksum, boolean success) {
    }

    /**
     * Whether Flyway's history is exactly our migrations, each applied successfully with its file's checksum, and
     * nothing else but Flyway's note that it created the schema: then {@code migrate} would only validate and find
     * nothing to do, and is not run (its classes and queries cost a one-shot command about as much as a small scan).
     * Anything else (a migration missing, failed, changed, from another release, a baseline) is left to Flyway, which
     * migrates or says what is wrong as before.
     */
    static boolean allApplied(List<Applied> history) {
        List<String> ours = FILES.stream().map(f -> version(f) + " " + f + " " + checksum(f)).sorted().toList();
        List<String> theirs = new ArrayList<>();
        for (Applied row : history) {
            if (!row.success()) {
                return false;
            }
            if ("SCHEMA".equals(row.type())) {
                continue; // "<< Flyway Schema Creation >>": Flyway created the schema before the first migration
            }
            if (!"SQL".equals(row.type()) || row.checksum() == null) {
                return false;
            }
            theirs.add(row.version() + " " + row.script() + " " + row.checksum());
        }
        return ours.equals(theirs.stream().sorted().toList());
    }

    /** {@code 14} for {@code V14__ledger_staging_dictionary.sql}, as Flyway reads a version from the file name. */
    static String version(String file) {
        return file.substring(1, file.indexOf("__"));
    }

    /**
     * Flyway's checksum of a migration: a CRC-32 over the UTF-8 bytes of its lines without their line ends (a byte
     * order mark dropped), as a signed int. {@code StateStoreTest} compares it with what Flyway itself records.
     */
    static int checksum(String file) {
        CRC32 crc = new CRC32();
        try (BufferedReader lines = new BufferedReader(new Migration(file).read())) {
            String line = lines.readLine();
            if (line != null && line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            for (; line != null; line = lines.readLine()) {
                crc.update(line.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read migration " + FOLDER + file, e);
        }
        return (int) crc.getValue();
    }

    @Override
    public LoadableResource getResource(String name) {
        return FILES.stream().filter(f -> name.equals(f) || name.equals(FOLDER + f)).findFirst().map(Migration::new).orElse(null);
    }

    @Override
    public Collection<LoadableResource> getResources(String prefix, String[] suffixes) {
        return FILES.stream().filter(f -> f.startsWith(prefix)).filter(f -> Arrays.stream(suffixes).anyMatch(f::endsWith))
                .<LoadableResource>map(Migration::new).toList();
    }

    private static final class Migration extends LoadableResource {
        private final String file;

        Migration(String file) {
            this.file = file;
        }

        @Override
        public Reader read() {
            InputStream in = StateMigrations.class.getClassLoader().getResourceAsStream(FOLDER + file);
            if (in == null) {
                throw new IllegalStateException("migration " + FOLDER + file + " is missing from the application");
            }
            return new InputStreamReader(in, StandardCharsets.UTF_8);
        }

        @Override
        public String getAbsolutePath() {
            return FOLDER + file;
        }

        @Override
        public String getAbsolutePathOnDisk() {
            return null;
        }

        @Override
        public String getFilename() {
            return file;
        }

        @Override
        public String getRelativePath() {
            return file;
        }
    }
}
