package dify.reconciler.config;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The daemon's {@code PLUGIN_STORAGE_TYPE}, with every alias its storage library accepts (dify-cloud-kit's
 * factory map, plus the daemon's own {@code baidu_bos}). Aliases are matched exactly, case-sensitively, as
 * the daemon matches them: {@code AWS_S3} would stop the daemon, so it stops us too. Every type is read
 * ({@link StorageProducer#open}).
 */
public enum StorageType {
    LOCAL("local", "local_file"),
    S3("s3", "aws_s3", "aws-s3"),
    AZURE_BLOB("azure_blob", "azure", "azure-blob"),
    ALIYUN_OSS("aliyun_oss", "aliyun", "aliyun-oss"),
    TENCENT_COS("tencent_cos", "tencent", "tencent-cos"),
    GCS("gcs", "google-storage", "google_storage"),
    HUAWEI_OBS("huawei_obs", "huawei", "huawei-obs"),
    VOLCENGINE_TOS("volcengine_tos", "volcengine", "volcengine-tos"),
    BAIDU_BOS("baidu_bos");

    private final List<String> aliases;

    StorageType(String... aliases) {
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

    /**
     * The type the daemon would load for this exact value (surrounding blanks aside).
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
