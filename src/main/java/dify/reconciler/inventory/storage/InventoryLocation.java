package dify.reconciler.inventory.storage;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where an S3 Inventory configuration delivers its reports ({@code reconciler.storage.inventory-location}):
 * {@code s3://<destination bucket>/<prefix>/<source bucket>/<configuration id>/}, the folder that holds one
 * {@code YYYY-MM-DDTHH-MMZ/} folder per report (each with {@code manifest.json} and {@code manifest.checksum}) and
 * the {@code data/} folder. Pure.
 */
public record InventoryLocation(String bucket, String prefix) {

    /** A report's folder: the time S3 started it, in a form whose text order is time order. */
    private static final Pattern REPORT_FOLDER = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}Z/");

    /** Parses {@code s3://bucket/prefix/}; the prefix is kept with one trailing '/'. */
    public static InventoryLocation parse(String location) {
        String value = location == null ? "" : location.trim();
        if (!value.startsWith("s3://") || value.length() <= 5) {
            throw new IllegalArgumentException("reconciler.storage.inventory-location='" + location
                    + "' is not s3://<bucket>/<prefix>/ (the folder of the inventory configuration's reports)");
        }
        String rest = value.substring(5);
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        if (bucket.isEmpty()) {
            throw new IllegalArgumentException("reconciler.storage.inventory-location='" + location + "' names no bucket");
        }
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        return new InventoryLocation(bucket, prefix);
    }

    /** Among the folders listed just below {@link #prefix()}, the latest report's ({@code prefix + name}), if any. */
    public Optional<String> latestReportFolder(List<String> folders) {
        return folders.stream().filter(f -> f.startsWith(prefix))
                .filter(f -> REPORT_FOLDER.matcher(f.substring(prefix.length())).matches())
                .max(Comparator.naturalOrder());
    }

    @Override
    public String toString() {
        return "s3://" + bucket + "/" + prefix;
    }
}
