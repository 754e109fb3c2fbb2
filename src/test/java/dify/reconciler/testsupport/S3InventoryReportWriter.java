package dify.reconciler.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
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
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.zip.GZIPOutputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Writes an Amazon S3 Inventory report (CSV) of a bucket as S3 delivers one, into another bucket: gzip'd data files
 * under {@code <prefix>/<source>/<config>/data/}, rows in no particular order, keys URL-encoded, ETags without quotes,
 * a {@code YYYY-MM-DDTHH-MMZ/} folder with {@code manifest.json} and {@code manifest.checksum}. The rows are what a LIST
 * of the bucket returns now; for a versioned report, each object also gets an older version and a delete marker
 * (rows a reader must skip). Knobs break it the ways a real delivery can go wrong.
 */
public final class S3InventoryReportWriter {

    public static final String VERSIONED_SCHEMA = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate,"
            + " ETag, StorageClass";
    private static final DateTimeFormatter FOLDER = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm'Z'").withZone(ZoneOffset.UTC);

    private final S3Client s3;
    private final String source;
    private final String destination;
    private final String configPrefix;
    private Instant createdAt = Instant.now().plusSeconds(1);
    private String schema = VERSIONED_SCHEMA;
    private Predicate<String> keep = k -> true;
    private int files = 3;
    private UnaryOperator<String> manifestEdit = m -> m;
    private boolean checksumAfterEdit = true;

    public S3InventoryReportWriter(S3Client s3, String source, String destination, String destinationPrefix) {
        this.s3 = s3;
        this.source = source;
        this.destination = destination;
        this.configPrefix = destinationPrefix + source + "/daily/";
    }

    /** The location to set as {@code reconciler.storage.inventory-location}. */
    public String location() {
        return "s3://" + destination + "/" + configPrefix;
    }

    public S3InventoryReportWriter takenAt(Instant t) {
        this.createdAt = t;
        return this;
    }

    /** Columns as {@code fileSchema} says (the rows follow it). */
    public S3InventoryReportWriter schema(String fileSchema) {
        this.schema = fileSchema;
        return this;
    }

    /** Only keys {@code keep} accepts are in the report (an object the report lacks). */
    public S3InventoryReportWriter only(Predicate<String> keep) {
        this.keep = keep;
        return this;
    }

    /** Edits manifest.json's text; {@code rechecksum}: manifest.checksum matches the edited manifest. */
    public S3InventoryReportWriter editManifest(UnaryOperator<String> edit, boolean rechecksum) {
        this.manifestEdit = edit;
        this.checksumAfterEdit = rechecksum;
        return this;
    }

    /** What was written: the data files' keys (in the destination bucket) and the manifest's key. */
    public record Written(List<String> dataFiles, String manifestKey, int rows) {
    }

    /** Writes the report of the bucket as it is now. */
    public Written write() {
        List<String> columns = List.of(schema.split(",\\s*"));
        List<String> lines = new ArrayList<>();
        String token = null;
        do {
            String t = token;
            var page = s3.listObjectsV2(b -> b.bucket(source).continuationToken(t));
            for (S3Object o : page.contents()) {
                if (keep.test(o.key())) {
                    lines.add(line(columns, o, "v2", true, false));
                    if (columns.contains("IsLatest")) {
                        lines.add(line(columns, o, "v1", false, false));
                        lines.add(line(columns, o, "v0", false, true));
                    }
                }
            }
            token = page.isTruncated() ? page.nextContinuationToken() : null;
        } while (token != null);
        Collections.shuffle(lines, new Random(42));
        List<String> dataFiles = new ArrayList<>();
        StringBuilder manifestFiles = new StringBuilder();
        for (int f = 0; f < files; f++) {
            StringBuilder text = new StringBuilder();
            for (int i = f; i < lines.size(); i += files) {
                text.append(lines.get(i)).append('\n');
            }
            byte[] gz = gzip(text.toString().getBytes(StandardCharsets.UTF_8));
            String key = configPrefix + "data/" + UUID.randomUUID() + ".csv.gz";
            s3.putObject(b -> b.bucket(destination).key(key), RequestBody.fromBytes(gz));
            dataFiles.add(key);
            manifestFiles.append(f == 0 ? "" : ",").append("{\"key\":\"").append(key).append("\",\"size\":").append(gz.length)
                    .append(",\"MD5checksum\":\"").append(md5(gz)).append("\"}");
        }
        String manifest = "{\"sourceBucket\":\"" + source + "\",\"destinationBucket\":\"arn:aws:s3:::" + destination
                + "\",\"version\":\"2016-11-30\",\"creationTimestamp\":\"" + createdAt.toEpochMilli()
                + "\",\"fileFormat\":\"CSV\",\"fileSchema\":\"" + schema + "\",\"files\":[" + manifestFiles + "]}";
        String edited = manifestEdit.apply(manifest);
        String folder = configPrefix + FOLDER.format(createdAt) + "/";
        byte[] manifestBytes = edited.getBytes(StandardCharsets.UTF_8);
        s3.putObject(b -> b.bucket(destination).key(folder + "manifest.json"), RequestBody.fromBytes(manifestBytes));
        String checksum = md5(checksumAfterEdit ? manifestBytes : manifest.getBytes(StandardCharsets.UTF_8));
        s3.putObject(b -> b.bucket(destination).key(folder + "manifest.checksum"), RequestBody.fromString(checksum + "\n"));
        return new Written(dataFiles, folder + "manifest.json", lines.size());
    }

    private String line(List<String> columns, S3Object o, String version, boolean latest, boolean deleteMarker) {
        List<String> fields = new ArrayList<>();
        for (String c : columns) {
            fields.add(switch (c) {
                case "Bucket" -> source;
                case "Key" -> URLEncoder.encode(o.key(), StandardCharsets.UTF_8);
                case "VersionId" -> version;
                case "IsLatest" -> String.valueOf(latest);
                case "IsDeleteMarker" -> String.valueOf(deleteMarker);
                case "Size" -> deleteMarker ? "" : String.valueOf(latest ? o.size() : o.size() + 7);
                case "LastModifiedDate" -> DateTimeFormatter.ISO_INSTANT.format(o.lastModified());
                case "ETag" -> deleteMarker ? "" : latest ? o.eTag().replace("\"", "") : "0123456789abcdef0123456789abcdef";
                default -> "STANDARD";
            });
        }
        return "\"" + String.join("\",\"", fields) + "\"";
    }

    private static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static String md5(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
