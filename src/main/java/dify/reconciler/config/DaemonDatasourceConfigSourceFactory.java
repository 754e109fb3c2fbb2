package dify.reconciler.config;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Turns the daemon's {@code DB_TYPE} and {@code DB_EXTRAS} into the datasource's driver properties
 * ({@code quarkus.datasource.jdbc.additional-jdbc-properties.*}), which application.properties cannot derive:
 * {@code prepareThreshold=0} behind PgBouncer, and {@code DB_EXTRAS} as the libpq {@code options}. See
 * {@link JdbcConnectionProperties}. Registered through {@code META-INF/services}.
 *
 * <p>It never fails: a value the daemon would reject contributes nothing here and stops the start-up with a
 * message naming the variable when {@link DaemonSettings} reads it. Its ordinal is below application.properties
 * and the environment, so an explicit {@code quarkus.datasource.jdbc.additional-jdbc-properties.*} wins.
 */
public class DaemonDatasourceConfigSourceFactory implements ConfigSourceFactory {

    static final String PREFIX = "quarkus.datasource.jdbc.additional-jdbc-properties.";
    private static final int ORDINAL = 200;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        return List.of(new PropertiesConfigSource(derive(name -> Optional.ofNullable(context.getValue(name))
                .map(ConfigValue::getValue)), "dify-daemon-datasource", ORDINAL));
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(ORDINAL);
    }

    /** The datasource properties for these daemon variables; empty when they ask for nothing or are invalid. */
    static Map<String, String> derive(Function<String, Optional<String>> lookup) {
        DatabaseType type;
        try {
            type = DatabaseType.parse(lookup.apply("DB_TYPE").map(String::trim).filter(v -> !v.isEmpty()).orElse("postgresql"));
        } catch (IllegalArgumentException e) {
            return Map.of(); // reported, naming DB_TYPE, by DaemonSettings at start-up
        }
        String options = JdbcConnectionProperties.libpqOptions(lookup.apply("DB_EXTRAS").orElse(""));
        return JdbcConnectionProperties.of(type, options).entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(e -> PREFIX + e.getKey(), Map.Entry::getValue));
    }
}
