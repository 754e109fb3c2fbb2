package dify.reconciler.testsupport;

import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Writes an Azure Blob inventory run of a container as the service writes one (Microsoft's "Azure Storage blob
 * inventory", sections "Inventory output" and "Inventory files"): {@code YYYY/MM/DD/HH-MM-SS/<rule>/} with the CSV files
 * (a schema row first, every field quoted, rows shuffled over two files), {@code <rule>-manifest.json} and
 * {@code <rule>-manifest.checksum} (the manifest's MD5, hex). {@code Name} is {@code <container>/<blob>}; beside each blob
 * a snapshot row and a row of another container, which a reader must leave out.
 */
public final class AzureInventoryReportWriter {

    /** The inventory rule's name: the location is {@code azure://<report container>/daemon-rule}. */
    public static final String RULE = "daemon-rule";
    /** The rule's schema fields by default (the required ones and a few others), {@code Etag} last. */
    public static final List<String> FIELDS = List.of("Name", "Creation-Time", "Last-Modified", "Content-Length", "BlobType",
            "Snapshot", "Etag");
    private static final DateTimeFormatter RUN = DateTimeFormatter.ofPattern("yyyy/MM/dd/HH-mm-ss").withZone(ZoneOffset.UTC);

    private final ObjectStorage source;
    private final String container;
    private final String reportContainer;
    private final BiConsumer<String, byte[]> put;
    private Instant takenAt = Instant.now().plusSeconds(1);
    private Predicate<String> keep = k -> true;
    private List<String> fields = FIELDS;
    private String format = "csv";
    private boolean duplicate;
    private UnaryOperator<String> etagForm = UnaryOperator.identity();

    /**
     * @param source    the daemon's container as the product lists it (the report is of what it holds now)
     * @param container its name
     * @param put       writes a blob of the report container {@code reportContainer}
     */
    public AzureInventoryReportWriter(ObjectStorage source, String container, String reportContainer, BiConsumer<String, byte[]> put) {
        this.source = source;
        this.container = container;
        this.reportContainer = reportContainer;
        this.put = put;
    }

    public AzureInventoryReportWriter takenAt(Instant t) {
        this.takenAt = t;
        return this;
    }

    /** Only the blobs whose names pass (a rule limited to a prefix). */
    public AzureInventoryReportWriter only(Predicate<String> k) {
        this.keep = k;
        return this;
    }

    public AzureInventoryReportWriter fields(List<String> f) {
        this.fields = List.copyOf(f);
        return this;
    }

    public AzureInventoryReportWriter format(String f) {
        this.format = f;
        return this;
    }

    /** Each blob's row twice, as Azure documents "in rare cases". */
    public AzureInventoryReportWriter duplicated() {
        this.duplicate = true;
        return this;
    }

    /** Writes each blob's {@code Etag} as {@code form} turns the listing's (a provider writing it otherwise). */
    public AzureInventoryReportWriter etags(UnaryOperator<String> form) {
        this.etagForm = form;
        return this;
    }

    /** {@code reconciler.storage.inventory-location} for this report. */
    public String location() {
        return "azure://" + reportContainer + "/" + RULE;
    }

    /** Writes the run; returns its data files' blob names. */
    public List<String> write() {
        List<String> rows = new ArrayList<>();
        List<StoredObject> objects;
        try (Stream<StoredObject> all = source.list("")) {
            objects = all.toList();
        }
        for (StoredObject o : objects) {
            if (!keep.test(o.key())) {
                continue;
            }
            rows.add(row(container + "/" + o.key(), o, ""));
            if (duplicate) {
                rows.add(row(container + "/" + o.key(), o, ""));
            }
            rows.add(row(container + "/" + o.key(), new StoredObject(o.key(), o.size() + 1, o.lastModified(), "0x8D1"),
                    "2026-01-01T00:00:00.0000000Z"));
            rows.add(row("other-container/" + o.key(), o, ""));
        }
        String folder = RUN.format(takenAt) + "/" + RULE + "/";
        List<String> keys = new ArrayList<>();
        StringBuilder files = new StringBuilder();
        List<List<String>> parts = split(rows, 2);
        for (int f = 0; f < parts.size(); f++) {
            byte[] bytes = (csv(fields) + String.join("", parts.get(f))).getBytes(StandardCharsets.UTF_8);
            String key = folder + RULE + "_" + f + ".csv";
            put.accept(key, bytes);
            keys.add(key);
            files.append(f == 0 ? "" : ",").append("{\"blob\":\"").append(key).append("\",\"size\":").append(bytes.length).append('}');
        }
        String manifest = "{\"destinationContainer\":\"" + reportContainer + "\",\"endpoint\":\"http://127.0.0.1\",\"files\":["
                + files + "],\"inventoryCompletionTime\":\"" + takenAt.plusSeconds(60) + "\",\"inventoryStartTime\":\"" + takenAt
                + "\",\"ruleDefinition\":{\"filters\":{\"blobTypes\":[\"blockBlob\"],\"includeBlobVersions\":false,"
                + "\"includeSnapshots\":true},\"format\":\"" + format + "\",\"objectType\":\"blob\",\"schedule\":\"daily\","
                + "\"schemaFields\":[" + fields.stream().map(f -> "\"" + f + "\"").collect(Collectors.joining(",")) + "]},"
                + "\"ruleName\":\"" + RULE + "\",\"status\":\"Succeeded\",\"summary\":{\"objectCount\":" + rows.size()
                + ",\"totalObjectSize\":1},\"version\":\"1.0\"}";
        byte[] bytes = manifest.getBytes(StandardCharsets.UTF_8);
        put.accept(folder + RULE + "-manifest.json", bytes);
        put.accept(folder + RULE + "-manifest.checksum", HexFormat.of().formatHex(md5(bytes)).getBytes(StandardCharsets.US_ASCII));
        return keys;
    }

    private String row(String name, StoredObject o, String snapshot) {
        List<String> values = new ArrayList<>();
        for (String f : fields) {
            values.add(switch (f) {
                case "Name" -> name;
                case "Creation-Time", "Last-Modified" ->
                    DateTimeFormatter.RFC_1123_DATE_TIME.format(o.lastModified().atOffset(ZoneOffset.UTC));
                case "Content-Length" -> Long.toString(o.size());
                case "Etag" -> etagForm.apply(o.etag());
                case "Snapshot" -> snapshot;
                default -> "BlockBlob";
            });
        }
        return csv(values);
    }

    /** Rows shuffled over {@code files} files (one seed: the same files each run). */
    public static List<List<String>> split(List<String> rows, int files) {
        List<String> shuffled = new ArrayList<>(rows);
        Collections.shuffle(shuffled, new Random(42));
        List<List<String>> out = new ArrayList<>();
        for (int f = 0; f < files; f++) {
            List<String> part = new ArrayList<>();
            for (int i = f; i < shuffled.size(); i += files) {
                part.add(shuffled.get(i));
            }
            out.add(part);
        }
        return out;
    }

    /** A CSV record, every field quoted (a quote inside doubled), as RFC 4180 writes one. */
    public static String csv(List<String> values) {
        return values.stream().map(f -> "\"" + f.replace("\"", "\"\"") + "\"").collect(Collectors.joining(",")) + "\n";
    }

    private static byte[] md5(byte[] bytes) {
        try {
            return MessageDigest.getInstance("MD5").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
