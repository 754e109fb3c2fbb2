package dify.reconciler.config;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The daemon's {@code PLUGIN_STORAGE_TYPE}, with every alias its storage library accepts (dify-cloud-kit's
 * factory map, plus the daemon's own {@code baidu_bos}). Aliases are matched exactly, case-sensitively, as
 * the daemon matches them: {@code AWS_S3} would stop the daemon, so it stops us too. Every type is
 * {@linkplain #supported() supported} (the flag stays so a type added to the daemon can be recognised before it is read).
 */
public enum StorageType {
    LOCAL(true, "local", "local_file"),
    S3(true, "s3", "aws_s3", "aws-s3"),
    AZURE_BLOB(true, "azure_blob", "azure", "azure-blob"),
    ALIYUN_OSS(true, "aliyun_oss", "aliyun", "aliyun-oss"),
    TENCENT_COS(true, "tencent_cos", "tencent", "tencent-cos"),
    GCS(true, "gcs", "google-storage", "google_storage"),
    HUAWEI_OBS(true, "huawei_obs", "huawei", "huawei-obs"),
    VOLCENGINE_TOS(true, "volcengine_tos", "volcengine", "volcengine-tos"),
    BAIDU_BOS(true, "baidu_bos");

    private final boolean supported;
    private final List<String> aliases;

    StorageType(boolean supported, String... aliases) {
        this.supported = supported;
        this.aliases = List.of(aliases);
    }

    /** The canonical name (the first alias), used in reports and messages: {@code local}, {@code s3}, {@code azure_blob}, … */
    public String label() {
        return aliases.get(0);
    }

    /** Every value of {@code PLUGIN_STORAGE_TYPE} the daemon maps to this type, canonical name first. */
    public List<String> aliases() {
        return aliases;
    }

    /**
     * Whether the daemon's storage of this type lists a prefix as the raw string, without a trailing {@code /}: GCS
     * (dify-cloud-kit's gcs {@code List} passes {@code plugin} as is; every other backend appends {@code /}).
     */
    public boolean daemonListsRawPrefixes() {
        return this == GCS;
    }

    /** Whether this reconciler can read this type of storage. */
    public boolean supported() {
        return supported;
    }

    /**
     * The type the daemon would load for this exact value (surrounding blanks aside), supported or not.
     *
     * @throws IllegalArgumentException naming {@code PLUGIN_STORAGE_TYPE} and listing the accepted values
     */
    public static StorageType parse(String value) {
        String v = value == null ? "" : value.trim();
        for (StorageType type : values()) {
            if (type.aliases.contains(v)) {
                return type;
            }
        }
        throw new IllegalArgumentException("PLUGIN_STORAGE_TYPE='" + value + "' is not a storage type the plugin daemon"
                + " accepts (exact, case-sensitive): " + Arrays.stream(values())
                        .flatMap(t -> t.aliases.stream()).collect(Collectors.joining(", ")));
    }
}
