package dify.reconciler.approval;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Who approves, suspends or resumes through the API: the {@code X-Reconciler-Actor} header, else the {@code actor}
 * parameter, else {@code api}. It is written to the audit and logs, so it is bounded (64 characters), plain (letters,
 * digits, space and {@code . _ @ + : / -}) and never the API token or a bearer header.
 */
public final class Actor {

    static final String DEFAULT = "api";
    static final int MAX_LENGTH = 64;
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9 ._@+:/-]+");

    private Actor() {
    }

    /** The actor, or IllegalArgumentException saying what is wrong (the value is never echoed: it may be a secret). */
    public static String of(String header, String parameter, Optional<String> apiToken) {
        String raw = header != null && !header.isBlank() ? header : parameter;
        if (raw == null || raw.isBlank()) {
            return DEFAULT;
        }
        String actor = raw.trim();
        if (actor.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("the actor (X-Reconciler-Actor or actor) is longer than " + MAX_LENGTH + " characters");
        }
        if (!PLAIN.matcher(actor).matches()) {
            throw new IllegalArgumentException(
                    "the actor (X-Reconciler-Actor or actor) may hold only letters, digits, space and . _ @ + : / -");
        }
        String token = apiToken.map(String::trim).orElse("");
        if (actor.toLowerCase(java.util.Locale.ROOT).startsWith("bearer ") || (!token.isEmpty() && actor.contains(token))) {
            throw new IllegalArgumentException("the actor (X-Reconciler-Actor or actor) must name a person, not carry the API token");
        }
        return actor;
    }
}
