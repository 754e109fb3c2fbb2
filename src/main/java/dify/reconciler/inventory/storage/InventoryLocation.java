package dify.reconciler.inventory.storage;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where an inventory delivers its reports ({@code reconciler.storage.inventory-location}), one form per provider:
 * <ul>
 * <li>{@code s3://<destination bucket>/<prefix>/<source bucket>/<configuration id>/}: an Amazon S3 Inventory
 * configuration's folder, one {@code YYYY-MM-DDTHH-MMZ/} folder per report (each with {@code manifest.json} and
 * {@code manifest.checksum}) and the {@code data/} folder;
 * <li>{@code azure://<destination container>/<rule name>}: an Azure Blob inventory rule's reports, written as
 * {@code YYYY/MM/DD/HH-MM-SS/<rule>/<rule>-manifest.json} in the container (the "prefix" is the rule's name);
 * <li>{@code gs://<destination bucket>/<destination path>/}: a GCS Storage Insights inventory report configuration's
 * reports, each a {@code …_manifest.json} with its shards somewhere below the path.
 * </ul>
 * Pure.
 *
 * @param scheme {@code s3}, {@code azure} or {@code gs}
 */
public record InventoryLocation(String scheme, String bucket, String prefix) {

    /** The schemes, each the storage type whose reports it names. */
    public static final List<String> SCHEMES = List.of("s3", "azure", "gs");

    /** A report's folder: the time S3 started it, in a form whose text order is time order. */
    private static final Pattern REPORT_FOLDER = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}Z/");

    /**
     * Parses {@code scheme://bucket/prefix}; for {@code s3} and {@code gs} the prefix is kept with one trailing '/', for
     * {@code azure} it is the rule's name and required.
     */
    public static InventoryLocation parse(String location) {
        String value = location == null ? "" : location.trim();
        int colon = value.indexOf("://");
        String scheme = colon < 0 ? "" : value.substring(0, colon).toLowerCase(Locale.ROOT);
        if (!SCHEMES.contains(scheme) || value.length() <= colon + 3) {
            throw new IllegalArgumentException("reconciler.storage.inventory-location='" + location + "' is not"
                    + " s3://<bucket>/<prefix>/, azure://<container>/<rule name> or gs://<bucket>/<prefix>/ (where the"
                    + " inventory's reports are delivered)");
        }
        String rest = value.substring(colon + 3);
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        if (bucket.isEmpty()) {
            throw new IllegalArgumentException("reconciler.storage.inventory-location='" + location + "' names no bucket");
        }
        if (scheme.equals("azure")) {
            prefix = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
            if (prefix.isEmpty() || prefix.contains("/")) {
                throw new IllegalArgumentException("reconciler.storage.inventory-location='" + location
                        + "' is not azure://<container>/<rule name>: name the inventory rule whose reports to read");
            }
        } else if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        return new InventoryLocation(scheme, bucket, prefix);
    }

    /** Among the folders listed just below {@link #prefix()}, the latest S3 report's ({@code prefix + name}), if any. */
    public Optional<String> latestReportFolder(List<String> folders) {
        return folders.stream().filter(f -> f.startsWith(prefix))
                .filter(f -> REPORT_FOLDER.matcher(f.substring(prefix.length())).matches())
                .max(Comparator.naturalOrder());
    }

    @Override
    public String toString() {
        return scheme + "://" + bucket + "/" + prefix;
    }
}
