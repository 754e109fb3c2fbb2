package dify.reconciler.config;

import java.util.Locale;

/** The daemon's {@code PLUGIN_STORAGE_TYPE}, with its aliases. Only {@code local} and {@code s3} are supported. */
public enum StorageType {
    LOCAL,
    S3;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static StorageType parse(String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "local", "local_file":
                return LOCAL;
            case "s3", "aws_s3", "aws-s3":
                return S3;
            case "azure_blob", "aliyun_oss", "tencent_cos", "gcs", "huawei_obs", "volcengine_tos", "baidu_bos":
                throw new IllegalArgumentException("PLUGIN_STORAGE_TYPE=" + v
                        + " is a storage type the daemon supports but this reconciler does not yet (supported: local, s3)");
            default:
                throw new IllegalArgumentException("PLUGIN_STORAGE_TYPE='" + value
                        + "' is not a storage type (supported: local, local_file, s3, aws_s3, aws-s3)");
        }
    }
}
