package dify.reconciler.api;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/** The HTTP API ({@code reconciler.api.*}, {@code RECONCILER_API_…}). */
@ConfigMapping(prefix = "reconciler.api")
public interface ApiConfig {

    /**
     * The bearer token that mutating endpoints require ({@code RECONCILER_API_TOKEN}, from a Secret). Unset: those
     * endpoints answer 403 (mutations through the API are disabled). Never logged.
     */
    Optional<String> token();
}
