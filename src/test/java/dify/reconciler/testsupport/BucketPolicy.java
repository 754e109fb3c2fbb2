package dify.reconciler.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The subset of an AWS IAM policy our documented bucket policies (docs/bucket-policy-*.json) use, evaluated the way AWS evaluates it, so a
 * test proxy can enforce those policies in front of S3Proxy (which enforces none). Supported: {@code Allow}
 * statements with {@code Action} and {@code Resource} (a string or a list, {@code *} and {@code ?} wildcards,
 * actions case-insensitive), and a {@code Condition} of {@code StringLike} on {@code s3:prefix}. Whatever no
 * statement allows is denied (the implicit deny); a condition key the request does not carry fails the
 * condition, as in AWS (a ListObjectsV2 without a {@code prefix} has no {@code s3:prefix}). Anything else in a
 * policy ({@code Deny}, {@code NotAction}, other operators or keys) is refused when the policy is read rather
 * than silently ignored, so a policy this evaluator cannot judge never passes a test.
 */
public final class BucketPolicy {

    /** One permission a request needs: an action on a resource ARN, with the condition keys the request carries. */
    public record Permission(String action, String resource, Map<String, String> conditionKeys) {
        public Permission(String action, String resource) {
            this(action, resource, Map.of());
        }
    }

    private record Statement(List<Pattern> actions, List<Pattern> resources, Map<String, List<Pattern>> stringLike) {
    }

    /** One grant of a statement: an action pattern on a resource pattern, and for a condition one of its values. */
    private record Grant(Pattern action, Pattern resource, String conditionKey, Pattern conditionValue) {
        boolean covers(Permission p) {
            if (!action.matcher(p.action()).matches() || !resource.matcher(p.resource()).matches()) {
                return false;
            }
            String value = conditionKey == null ? null : p.conditionKeys().get(conditionKey);
            return conditionKey == null || value != null && conditionValue.matcher(value).matches();
        }

        @Override
        public String toString() {
            return unquote(action) + " on " + unquote(resource)
                    + (conditionKey == null ? "" : " with " + conditionKey + " like " + unquote(conditionValue));
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> STATEMENT_FIELDS = Set.of("Sid", "Effect", "Action", "Resource", "Condition");
    private static final Set<String> CONDITION_KEYS = Set.of("s3:prefix");

    private final List<Statement> statements;

    private BucketPolicy(List<Statement> statements) {
        this.statements = List.copyOf(statements);
    }

    /** Reads a policy file, with {@code BUCKET} in its ARNs replaced by {@code bucket}. */
    public static BucketPolicy read(Path file, String bucket) {
        try {
            return parse(Files.readString(file), bucket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static BucketPolicy parse(String json, String bucket) {
        JsonNode doc;
        try {
            doc = JSON.readTree(json.replace("arn:aws:s3:::BUCKET", "arn:aws:s3:::" + bucket));
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
        if (!"2012-10-17".equals(doc.path("Version").asText())) {
            throw new IllegalArgumentException("policy Version must be 2012-10-17");
        }
        List<Statement> statements = new ArrayList<>();
        for (JsonNode s : doc.path("Statement")) {
            s.fieldNames().forEachRemaining(f -> {
                if (!STATEMENT_FIELDS.contains(f)) {
                    throw new IllegalArgumentException("unsupported statement field " + f);
                }
            });
            if (!"Allow".equals(s.path("Effect").asText())) {
                throw new IllegalArgumentException("only Allow statements are supported: " + s);
            }
            Map<String, List<Pattern>> stringLike = Map.of();
            JsonNode condition = s.path("Condition");
            if (!condition.isMissingNode()) {
                condition.fieldNames().forEachRemaining(op -> {
                    if (!op.equals("StringLike")) {
                        throw new IllegalArgumentException("only the StringLike condition is supported, not " + op);
                    }
                });
                Map<String, List<Pattern>> keys = new HashMap<>();
                condition.path("StringLike").properties().forEach(e -> {
                    if (!CONDITION_KEYS.contains(e.getKey())) {
                        throw new IllegalArgumentException("unsupported condition key " + e.getKey());
                    }
                    keys.put(e.getKey(), globs(e.getValue(), false));
                });
                stringLike = Map.copyOf(keys);
            }
            statements.add(new Statement(globs(s.path("Action"), true), globs(s.path("Resource"), false), stringLike));
        }
        if (statements.isEmpty()) {
            throw new IllegalArgumentException("a policy without statements");
        }
        return new BucketPolicy(statements);
    }

    /** Whether some statement allows this permission. */
    public boolean allows(Permission p) {
        return statements.stream().anyMatch(s -> matches(s, p));
    }

    /**
     * The grants (each action on each resource, each allowed condition value apart) that none of {@code used}
     * needed: in a least-privilege policy, none. Only meaningful for statements with at most one condition key.
     */
    public List<String> grantsNotNeededBy(Collection<Permission> used) {
        List<String> unused = new ArrayList<>();
        for (Statement s : statements) {
            for (Grant g : grants(s)) {
                if (used.stream().noneMatch(p -> g.covers(p) && matches(s, p))) {
                    unused.add(g.toString());
                }
            }
        }
        return unused;
    }

    private static List<Grant> grants(Statement s) {
        List<Grant> grants = new ArrayList<>();
        for (Pattern a : s.actions()) {
            for (Pattern r : s.resources()) {
                if (s.stringLike().isEmpty()) {
                    grants.add(new Grant(a, r, null, null));
                }
                s.stringLike().forEach((key, values) -> values.forEach(v -> grants.add(new Grant(a, r, key, v))));
            }
        }
        return grants;
    }

    private static String unquote(Pattern p) {
        return p.pattern().replace("\\Q", "").replace("\\E", "").replace(".*", "*");
    }

    private static boolean matches(Statement s, Permission p) {
        if (s.actions().stream().noneMatch(a -> a.matcher(p.action()).matches())
                || s.resources().stream().noneMatch(r -> r.matcher(p.resource()).matches())) {
            return false;
        }
        for (Map.Entry<String, List<Pattern>> c : s.stringLike().entrySet()) {
            String value = p.conditionKeys().get(c.getKey());
            // A key the request does not carry fails StringLike (only ...IfExists would pass it).
            if (value == null || c.getValue().stream().noneMatch(g -> g.matcher(value).matches())) {
                return false;
            }
        }
        return true;
    }

    private static List<Pattern> globs(JsonNode node, boolean caseInsensitive) {
        List<Pattern> patterns = new ArrayList<>();
        if (node.isTextual()) {
            patterns.add(glob(node.asText(), caseInsensitive));
        } else if (node.isArray() && !node.isEmpty()) {
            node.forEach(n -> {
                if (!n.isTextual()) {
                    throw new IllegalArgumentException("not a string: " + n);
                }
                patterns.add(glob(n.asText(), caseInsensitive));
            });
        } else {
            throw new IllegalArgumentException("expected a string or a list of strings, got " + node);
        }
        return patterns;
    }

    /** IAM wildcards: {@code *} any run of characters (slashes included), {@code ?} one character. */
    static Pattern glob(String glob, boolean caseInsensitive) {
        StringBuilder regex = new StringBuilder();
        for (String part : glob.split("(?<=[*?])|(?=[*?])")) {
            regex.append(switch (part) {
                case "*" -> ".*";
                case "?" -> ".";
                default -> Pattern.quote(part);
            });
        }
        return Pattern.compile(regex.toString(), caseInsensitive ? Pattern.CASE_INSENSITIVE : 0);
    }

    @Override
    public String toString() {
        return statements.size() + " statements";
    }
}
