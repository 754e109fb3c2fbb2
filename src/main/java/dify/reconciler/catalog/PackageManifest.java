package dify.reconciler.catalog;

import dify.reconciler.catalog.InvalidPackageException.Problem;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The few top-level fields of a package's {@code manifest.yaml} (at the root of the zip, daemon
 * {@code decoder/helper.go} {@code Manifest()}) that make up its identifier: {@code author}, {@code name},
 * {@code version}, and the optional {@code icon} file name.
 *
 * <p>No YAML library: a small, strict reader of top-level {@code key: value} lines. Plain, single-quoted and
 * double-quoted scalars with trailing comments are understood; anything else for one of these four keys (block
 * or flow values, anchors, a value continued on the next line, a repeated key) is refused rather than guessed.
 * Other keys and all nested content are skipped.
 *
 * <p>{@code author} may be absent: the daemon then builds {@code name:version@checksum}
 * ({@code parser.MarshalPluginID}); its upload path rejects such manifests ({@code ManifestValidate} requires an
 * author), but the identifier rule allows them. Values are returned as written; whether they form a valid
 * identifier is {@link PluginIdentifier#isValid}'s call.
 */
public record PackageManifest(String author, String name, String version, String icon) {

    private static final Set<String> WANTED = Set.of("author", "name", "version", "icon");
    private static final Pattern TOP_LEVEL = Pattern.compile("^([A-Za-z_][A-Za-z0-9_-]*)[ \\t]*:(?:[ \\t]+(.*))?$");

    /**
     * Reads {@code manifest.yaml}.
     *
     * @throws InvalidPackageException ({@link Problem#BAD_MANIFEST}) when it is not UTF-8, a line at the top
     *     level is not {@code key: value}, or a wanted key's value is not a simple scalar; a missing name or
     *     version is the caller's concern ({@link PluginPackageInspector} refuses it)
     */
    public static PackageManifest parse(byte[] yaml) throws InvalidPackageException {
        String text = decode(yaml);
        List<String> lines = text.lines().toList();
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (isBlankOrComment(line) || line.startsWith(" ") || line.startsWith("\t") || line.startsWith("-")
                    && !line.startsWith("---") || line.equals("---") || line.equals("...")) {
                continue; // nested content, list items, document markers
            }
            Matcher m = TOP_LEVEL.matcher(line);
            if (!m.matches()) {
                throw bad(i, "is not a top-level 'key: value'");
            }
            String key = m.group(1);
            if (!WANTED.contains(key)) {
                continue;
            }
            if (values.containsKey(key)) {
                throw bad(i, "repeats the key '" + key + "'");
            }
            if (i + 1 < lines.size() && continues(lines, i + 1)) {
                throw bad(i, "has a value for '" + key + "' that is not a single-line scalar");
            }
            values.put(key, scalar(m.group(2) == null ? "" : m.group(2), i, key));
        }
        return new PackageManifest(values.get("author"), values.get("name"), values.get("version"), values.get("icon"));
    }

    private static String decode(byte[] yaml) throws InvalidPackageException {
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(yaml))
                    .toString();
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (CharacterCodingException e) {
            throw new InvalidPackageException(Problem.BAD_MANIFEST, "manifest.yaml is not UTF-8", e);
        }
    }

    /** True when the next meaningful line is indented: the value of the previous key goes on there. */
    private static boolean continues(List<String> lines, int from) {
        for (int j = from; j < lines.size(); j++) {
            String line = lines.get(j);
            if (isBlankOrComment(line)) {
                continue;
            }
            return line.startsWith(" ") || line.startsWith("\t") || line.startsWith("- ") || line.equals("-");
        }
        return false;
    }

    private static boolean isBlankOrComment(String line) {
        String t = line.strip();
        return t.isEmpty() || t.startsWith("#");
    }

    /** The value of a single-line scalar; null for an empty or null value. */
    private static String scalar(String raw, int line, String key) throws InvalidPackageException {
        String value = raw.strip();
        if (value.isEmpty() || value.startsWith("#")) {
            return null;
        }
        char first = value.charAt(0);
        if (first == '"') {
            return doubleQuoted(value, line, key);
        }
        if (first == '\'') {
            return singleQuoted(value, line, key);
        }
        if ("|>[{&*!%@`".indexOf(first) >= 0) {
            throw bad(line, "has a value for '" + key + "' that is not a plain or quoted scalar");
        }
        int comment = value.indexOf(" #");
        int tabComment = value.indexOf("\t#");
        if (tabComment >= 0 && (comment < 0 || tabComment < comment)) {
            comment = tabComment;
        }
        String plain = (comment >= 0 ? value.substring(0, comment) : value).strip();
        if (plain.contains(": ") || plain.endsWith(":")) {
            throw bad(line, "has a value for '" + key + "' containing ': '");
        }
        return plain.equals("~") || plain.equals("null") || plain.equals("Null") || plain.equals("NULL") ? null : plain;
    }

    private static String singleQuoted(String value, int line, String key) throws InvalidPackageException {
        StringBuilder out = new StringBuilder();
        int i = 1;
        while (true) {
            if (i >= value.length()) {
                throw bad(line, "has an unterminated quoted value for '" + key + "'");
            }
            char c = value.charAt(i);
            if (c == '\'') {
                if (i + 1 < value.length() && value.charAt(i + 1) == '\'') {
                    out.append('\'');
                    i += 2;
                    continue;
                }
                requireOnlyComment(value.substring(i + 1), line, key);
                return out.toString();
            }
            out.append(c);
            i++;
        }
    }

    private static String doubleQuoted(String value, int line, String key) throws InvalidPackageException {
        StringBuilder out = new StringBuilder();
        int i = 1;
        while (true) {
            if (i >= value.length()) {
                throw bad(line, "has an unterminated quoted value for '" + key + "'");
            }
            char c = value.charAt(i);
            if (c == '"') {
                requireOnlyComment(value.substring(i + 1), line, key);
                return out.toString();
            }
            if (c != '\\') {
                out.append(c);
                i++;
                continue;
            }
            if (i + 1 >= value.length()) {
                throw bad(line, "has an unterminated quoted value for '" + key + "'");
            }
            char e = value.charAt(i + 1);
            i += 2;
            switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case '0' -> out.append('\0');
                case 'x', 'u', 'U' -> {
                    int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + digits > value.length()) {
                        throw bad(line, "has a broken escape in the value for '" + key + "'");
                    }
                    try {
                        out.appendCodePoint(Integer.parseInt(value.substring(i, i + digits), 16));
                    } catch (IllegalArgumentException ex) {
                        throw bad(line, "has a broken escape in the value for '" + key + "'");
                    }
                    i += digits;
                }
                default -> throw bad(line, "has an unsupported escape '\\" + e + "' in the value for '" + key + "'");
            }
        }
    }

    private static void requireOnlyComment(String rest, int line, String key) throws InvalidPackageException {
        String t = rest.strip();
        if (!t.isEmpty() && !(t.startsWith("#") && !rest.startsWith("#"))) {
            throw bad(line, "has text after the quoted value for '" + key + "'");
        }
    }

    private static InvalidPackageException bad(int line, String what) {
        return new InvalidPackageException(Problem.BAD_MANIFEST, "manifest.yaml line " + (line + 1) + " " + what);
    }
}
