package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.inventory.storage.CopyChunk;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The staging encoder stages exactly the bytes the straightforward encoding did ({@link StagingAsBefore}, the code
 * before it was made faster): the same COPY text and the same dictionary, for findings with look-alike characters,
 * tabs, line breaks, backslashes and quotes, control characters, nulls in every field, characters outside the BMP and
 * surrogates without their pair, subjects that do not spell their row or key exactly, instants of every precision
 * and of far years, and more distinct values than the dictionary holds.
 */
class StagedRowEncoderTest {

    private static final Instant AT = Instant.parse("2026-10-01T00:00:00Z");

    /** Pieces the random values are made of: each one something an encoder could get wrong. */
    private static final String[] PIECES = {"a", "Z", "0", "9", "-", "_", ".", "/", ":", " ", "\"", "\\", "\t", "\n", "\r", "\b",
            "\f", "\u0000", "\u001f", "\u007f", "\u0080", "\u00e9", "\u00ff", "\u0430", "\u03bf", "\uff21", "\u200b", "\u0301",
            "\u200f", "\u2028", "\ufeff", "\uffff", "\ud83d\ude00", "\ud800", "\udc00", "\udbff\udfff", "row:", "object:",
            " object:", "detail:", "\\N", "null", "{\"", "\":", "\u0391\u0392"};

    @Test
    void stagesTheBytesTheStraightforwardEncodingStaged() {
        List<Finding> findings = new ArrayList<>(edgeCases());
        Random random = new Random(20261207);
        for (int i = 0; i < 5_000; i++) {
            Finding f = randomFinding(random, i);
            findings.add(f);
            // The same detail and observed version again, alone or with fields the subject does not spell.
            if (random.nextInt(3) == 0) {
                findings.add(f);
            }
            if (random.nextInt(4) == 0) {
                findings.add(new Finding(f.kind(), random.nextBoolean() ? "a/b" : null, f.id(), f.key(), f.pluginUniqueIdentifier(),
                        f.pluginId(), f.tenantId(), random.nextBoolean() ? Long.valueOf(5) : f.bytes(), f.detail(), f.observed()));
                findings.add(f);
            }
        }
        assertStagedAsBefore(findings);
    }

    /** Every UTF-16 code unit, 64 to a value, in every kind of field. */
    @Test
    void escapesEveryCharacterAsBefore() {
        List<Finding> findings = new ArrayList<>();
        for (int from = 0; from <= Character.MAX_VALUE; from += 64) {
            StringBuilder block = new StringBuilder();
            for (int c = from; c < from + 64; c++) {
                block.append((char) c);
            }
            String s = block.toString();
            int i = from / 64;
            findings.add(new Finding(FindingKind.values()[i % FindingKind.values().length], i % 2 == 0 ? "t" + s : null, s,
                    i % 3 == 0 ? null : "k" + s, "u" + s, s, "t" + s, null, "d" + s,
                    new ObservedVersion(null, null, null, "\"" + s + "\"")));
        }
        assertStagedAsBefore(findings);
    }

    @Test
    void writesInstantsAsInstantToString() {
        List<Instant> instants = new ArrayList<>(List.of(Instant.EPOCH, Instant.MIN, Instant.MAX, Instant.ofEpochSecond(-1),
                Instant.ofEpochSecond(-1, 999_999_999), Instant.parse("0000-01-01T00:00:00Z"), Instant.parse("-0001-12-31T23:59:59Z"),
                Instant.parse("0999-12-31T23:59:59.5Z"), Instant.parse("1000-01-01T00:00:00Z"),
                Instant.parse("9999-12-31T23:59:59.999999999Z"),
                Instant.parse("+10000-01-01T00:00:00Z"), Instant.parse("2024-02-29T12:00:00.000001Z"),
                Instant.parse("2026-10-01T00:00:00.100Z"), Instant.parse("2026-10-01T00:00:00.010Z"),
                Instant.parse("2026-10-01T00:00:00.000000010Z")));
        Random random = new Random(7);
        for (int i = 0; i < 5_000; i++) {
            long seconds = switch (i % 3) {
                case 0 -> 1_500_000_000L + random.nextInt(500_000_000);
                case 1 -> random.nextLong() % 300_000_000_000L;
                default -> random.nextLong() % Instant.MAX.getEpochSecond();
            };
            int nano = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            instants.add(Instant.ofEpochSecond(seconds, nano));
        }
        List<Finding> findings = new ArrayList<>();
        for (Instant at : instants) {
            Finding f = new Finding(FindingKind.PACKAGE_ORPHANED, null, null, "k", null, null, null, 1L, "d",
                    new ObservedVersion(at, 1L, at, null));
            assertEquals(StagingAsBefore.evidence(f, StagingAsBefore.subject(f)), LedgerEvidence.encode(f), at::toString);
            findings.add(f);
        }
        assertStagedAsBefore(findings);
    }

    /** Past {@link StagingDictionary#MAX_ENTRIES} values, and past {@link StagingDictionary#MAX_CHARS} characters. */
    @Test
    void stagesValuesPastTheDictionarysRoomAsTextAsBefore() {
        List<Finding> findings = new ArrayList<>();
        for (int i = 0; i < StagingDictionary.MAX_ENTRIES + 100; i++) {
            findings.add(row(i, "tenant-" + i, "detail " + (i % 7)));
        }
        for (int i = 0; i < 500; i++) {
            findings.add(row(i, "tenant-" + (i * 13 % (StagingDictionary.MAX_ENTRIES + 200)), "long " + i + " " + "x".repeat(3000)));
        }
        assertStagedAsBefore(findings);
        List<Finding> longFirst = new ArrayList<>(findings.subList(StagingDictionary.MAX_ENTRIES + 100, findings.size()));
        longFirst.addAll(findings.subList(0, StagingDictionary.MAX_ENTRIES + 100));
        assertStagedAsBefore(longFirst);
    }

    /** What a row looks like, spelt out: the yardstick itself is held to it. */
    @Test
    void stagesARowAsSpeltOut() {
        Finding f = new Finding(FindingKind.INSTALLED_OBJECT_ORPHANED, null, null, "plugin/t\t1\\x\n", "acme/a:1@b", "acme/a", null,
                3L, "gone \"now\"\t", ObservedVersion.object(3, AT, "\"e\""));
        String expected = (FindingKind.INSTALLED_OBJECT_ORPHANED.ordinal() + 1)
                + "\tobject:plugin/t\\t1\\\\x\\n\t1\t\\N\t2\t\\N\t\\N\t\\N\t3\t\\N\n";
        StagedRowEncoder encoder = new StagedRowEncoder();
        CopyChunk chunk = new CopyChunk(1024);
        encoder.stage(f, chunk);
        assertEquals(expected, chunk.toString(StandardCharsets.UTF_8));
        assertArrayEquals(new String[] {"acme/a:1@b", "acme/a",
                "{\"detail\":\"gone \\\"now\\\"\\t\",\"observed\":{\"size\":3,\"lastModified\":\"2026-10-01T00:00:00Z\",\"etag\":\"\\\"e\\\"\"}}"},
                encoder.dictionary().values());
        StagingAsBefore before = new StagingAsBefore();
        before.stage(f);
        assertEquals(expected, new String(before.copyText(), StandardCharsets.UTF_8));
    }

    private static void assertStagedAsBefore(List<Finding> findings) {
        StagingAsBefore before = new StagingAsBefore();
        StagedRowEncoder encoder = new StagedRowEncoder();
        CopyChunk chunk = new CopyChunk(1 << 16);
        for (Finding f : findings) {
            before.stage(f);
            encoder.stage(f, chunk);
        }
        byte[] expected = before.copyText();
        byte[] actual = chunk.toByteArray();
        if (!Arrays.equals(expected, actual)) {
            int at = Arrays.mismatch(expected, actual);
            int line = 0;
            for (int i = 0; i < at; i++) {
                line += expected[i] == '\n' ? 1 : 0;
            }
            assertEquals(rowAt(expected, at), rowAt(actual, at), "row " + line + ", " + findings.get(line));
        }
        assertArrayEquals(before.values(), encoder.dictionary().values(), "the dictionary");
        for (Finding f : findings) {
            assertEquals(StagingAsBefore.evidence(f, StagingAsBefore.subject(f)), LedgerEvidence.encode(f), f::toString);
        }
    }

    private static String rowAt(byte[] text, int at) {
        int from = at;
        while (from > 0 && text[from - 1] != '\n') {
            from--;
        }
        int to = at;
        while (to < text.length && text[to] != '\n') {
            to++;
        }
        return new String(text, from, to - from, StandardCharsets.UTF_8);
    }

    private static Finding row(int i, String tenant, String detail) {
        return Finding.row(FindingKind.CATEGORY_ROW_ORPHANED, "tool_installations", new UUID(7, i).toString(), "acme/p:1@x", "acme/p",
                tenant, ObservedVersion.row(AT.plusSeconds(i % 3)), detail);
    }

    private static List<Finding> edgeCases() {
        return List.of(LedgerCompactEvidenceTest.EVERY_FIELD, LedgerCompactEvidenceTest.NO_FIELD, LedgerCompactEvidenceTest.BENCHMARK,
                LedgerCompactEvidenceTest.OBJECT, LedgerCompactEvidenceTest.EMPTY_OBSERVED,
                // A table with a slash, a null id, an id "null", a row and a key, a key that looks like a row.
                Finding.row(FindingKind.DUPLICATE_ROWS, "a/b", "1", null, null, null, null, "slash"),
                Finding.row(FindingKind.DUPLICATE_ROWS, "plugins", null, null, null, null, null, "no id"),
                Finding.row(FindingKind.DUPLICATE_ROWS, "plugins", "null", null, null, null, null, "id null"),
                new Finding(FindingKind.INSTALLED_OBJECT_ORPHANED, "plugins", "1", "k", null, null, null, null, "both", null),
                new Finding(FindingKind.PACKAGE_ORPHANED, null, "1", "row:x/1", null, null, null, 0L, "id without table", null),
                new Finding(FindingKind.REFERS_DRIFT, null, "7", null, "", "", "", -1L, "row:x/1", null),
                new Finding(FindingKind.REFERS_DRIFT, "", "", "", null, null, null, Long.MIN_VALUE, "",
                        new ObservedVersion(null, 0L, null, "")));
    }

    private static Finding randomFinding(Random random, int i) {
        FindingKind kind = FindingKind.values()[random.nextInt(FindingKind.values().length)];
        String table = switch (random.nextInt(5)) {
            case 0 -> null;
            case 1 -> "tool_installations";
            case 2 -> "a/b";
            default -> text(random, 12);
        };
        String id = random.nextInt(6) == 0 ? null : random.nextBoolean() ? new UUID(i, random.nextInt(3)).toString() : text(random, 10);
        String key = random.nextInt(3) == 0 ? null : random.nextBoolean() ? "plugin/" + text(random, 20) : text(random, 6);
        String uid = random.nextInt(5) == 0
                ? null
                : random.nextBoolean() ? "acme/p" + random.nextInt(9) + ":1@" + "a".repeat(64) : text(random, 30);
        String pluginId = random.nextInt(5) == 0 ? null : random.nextBoolean() ? "acme/p" + random.nextInt(9) : text(random, 8);
        String tenant = random.nextInt(5) == 0 ? null : random.nextBoolean() ? new UUID(3, i).toString() : "t" + random.nextInt(40);
        String detail = random.nextBoolean() ? "no plugin_installations row for this tenant" : random.nextBoolean() ? text(random, 40) : "";
        Instant at = random.nextBoolean() ? AT : AT.plusNanos(random.nextLong() % 10_000_000_000_000L);
        ObservedVersion observed = switch (random.nextInt(5)) {
            case 0 -> null;
            case 1 -> ObservedVersion.row(at);
            case 2 -> ObservedVersion.object(random.nextInt(100), at, random.nextBoolean() ? null : "\"" + text(random, 8) + "\"");
            case 3 -> new ObservedVersion(null, null, null, null);
            default -> new ObservedVersion(random.nextBoolean() ? at : null, random.nextBoolean() ? 7L : null,
                    random.nextBoolean() ? at : null, random.nextBoolean() ? text(random, 5) : null);
        };
        Long bytes = switch (random.nextInt(3)) {
            case 0 -> null;
            case 1 -> observed == null ? null : observed.size();
            default -> (long) random.nextInt(1000);
        };
        return new Finding(kind, table, id, key, uid, pluginId, tenant, bytes, detail, observed);
    }

    private static String text(Random random, int maxPieces) {
        StringBuilder s = new StringBuilder();
        int n = random.nextInt(maxPieces + 1);
        for (int i = 0; i < n; i++) {
            s.append(PIECES[random.nextInt(PIECES.length)]);
        }
        return s.toString();
    }
}
