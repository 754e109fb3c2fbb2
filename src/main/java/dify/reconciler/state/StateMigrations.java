package dify.reconciler.state;

import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
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
