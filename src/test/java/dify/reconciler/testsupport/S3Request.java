package dify.reconciler.testsupport;

import dify.reconciler.testsupport.BucketPolicy.Permission;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One path-style S3 request as a bucket policy sees it: the operation, its bucket and key, and the permissions
 * AWS checks for it (CopyObject: {@code s3:GetObject} on the source and {@code s3:PutObject} on the target;
 * HeadObject: {@code s3:GetObject}; HeadBucket and the listings: {@code s3:ListBucket}, the listing's
 * {@code prefix} parameter as {@code s3:prefix}). An operation not known here needs a permission no policy
 * grants ({@code s3:Unknown…}), so it is denied and shows up in the record.
 */
public record S3Request(String method, String operation, String bucket, String key, Map<String, String> query,
        String copySource, List<Permission> needs) {

    /** Classifies {@code METHOD /bucket/key?query} with its (lower-cased) headers. */
    public static S3Request of(String method, String target, Map<String, String> headers) {
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        Map<String, String> query = query(q < 0 ? "" : target.substring(q + 1));
        String rest = path.startsWith("/") ? path.substring(1) : path;
        int slash = rest.indexOf('/');
        String bucket = decode(slash < 0 ? rest : rest.substring(0, slash));
        String key = slash < 0 || slash == rest.length() - 1 ? null : decode(rest.substring(slash + 1));
        String bucketArn = "arn:aws:s3:::" + bucket;
        if (key == null) {
            return onBucket(method, bucket, query, bucketArn);
        }
        String objectArn = bucketArn + "/" + key;
        String copySource = headers.get("x-amz-copy-source");
        if (copySource != null) {
            String source = decode(copySource.startsWith("/") ? copySource.substring(1) : copySource);
            int version = source.indexOf("?versionId=");
            String sourceArn = "arn:aws:s3:::" + (version < 0 ? source : source.substring(0, version));
            String operation = query.containsKey("uploadId") ? "UploadPartCopy" : "CopyObject";
            return new S3Request(method, operation, bucket, key, query, source,
                    List.of(new Permission("s3:GetObject", sourceArn), new Permission("s3:PutObject", objectArn)));
        }
        boolean versioned = query.containsKey("versionId");
        return switch (method) {
            case "GET" -> object(method, query.containsKey("uploadId") ? "ListParts" : "GetObject", bucket, key, query,
                    query.containsKey("uploadId") ? "s3:ListMultipartUploadParts" : versioned ? "s3:GetObjectVersion" : "s3:GetObject",
                    objectArn);
            case "HEAD" -> object(method, "HeadObject", bucket, key, query, versioned ? "s3:GetObjectVersion" : "s3:GetObject", objectArn);
            case "PUT" -> object(method, query.containsKey("uploadId") ? "UploadPart" : "PutObject", bucket, key, query,
                    "s3:PutObject", objectArn);
            case "POST" -> object(method, query.containsKey("uploads") ? "CreateMultipartUpload" : "CompleteMultipartUpload",
                    bucket, key, query, "s3:PutObject", objectArn);
            case "DELETE" -> object(method, query.containsKey("uploadId") ? "AbortMultipartUpload" : "DeleteObject", bucket, key,
                    query, query.containsKey("uploadId")
                            ? "s3:AbortMultipartUpload"
                            : versioned ? "s3:DeleteObjectVersion" : "s3:DeleteObject",
                    objectArn);
            default -> object(method, "Unknown", bucket, key, query, "s3:Unknown" + method, objectArn);
        };
    }

    private static S3Request onBucket(String method, String bucket, Map<String, String> query, String bucketArn) {
        if ((method.equals("GET") || method.equals("HEAD")) && query.containsKey("uploads")) {
            return object(method, "ListMultipartUploads", bucket, null, query, "s3:ListBucketMultipartUploads", bucketArn);
        }
        if (method.equals("GET") && query.containsKey("location")) {
            return object(method, "GetBucketLocation", bucket, null, query, "s3:GetBucketLocation", bucketArn);
        }
        if (method.equals("GET") && query.keySet().stream().allMatch(S3Request::isListingParameter)) {
            String prefix = query.get("prefix");
            return new S3Request(method, "2".equals(query.get("list-type")) ? "ListObjectsV2" : "ListObjects", bucket, null,
                    query, null, List.of(new Permission("s3:ListBucket", bucketArn,
                            prefix == null ? Map.of() : Map.of("s3:prefix", prefix))));
        }
        if (method.equals("HEAD") && query.isEmpty()) {
            return object(method, "HeadBucket", bucket, null, query, "s3:ListBucket", bucketArn);
        }
        if (method.equals("POST") && query.containsKey("delete")) {
            // The keys are in the body, which a policy check here does not read: needs delete on every key.
            return object(method, "DeleteObjects", bucket, null, query, "s3:DeleteObject", bucketArn + "/*");
        }
        return object(method, "Unknown", bucket, null, query, "s3:Unknown" + method + "Bucket", bucketArn);
    }

    private static boolean isListingParameter(String name) {
        return List.of("list-type", "prefix", "delimiter", "max-keys", "encoding-type", "continuation-token", "start-after",
                "fetch-owner", "marker").contains(name);
    }

    private static S3Request object(String method, String operation, String bucket, String key, Map<String, String> query,
            String action, String resource) {
        return new S3Request(method, operation, bucket, key, query, null, List.of(new Permission(action, resource)));
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new LinkedHashMap<>();
        for (String pair : raw.split("&")) {
            if (!pair.isEmpty()) {
                int eq = pair.indexOf('=');
                query.put(decode(eq < 0 ? pair : pair.substring(0, eq)), eq < 0 ? "" : decode(pair.substring(eq + 1)));
            }
        }
        return query;
    }

    /** Percent-decoding as S3 does it in paths and query values: a {@code +} stays a plus. */
    static String decode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '%' && i + 2 < bytes.length) {
                out.write(Integer.parseInt(new String(bytes, i + 1, 2, StandardCharsets.US_ASCII), 16));
                i += 2;
            } else {
                out.write(bytes[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** One line for a log or an assertion message: {@code PUT CopyObject b/k <- b/src}. */
    @Override
    public String toString() {
        return method + " " + operation + " " + bucket + (key == null ? "" : "/" + key)
                + (query.containsKey("prefix") ? " prefix=" + query.get("prefix") : "")
                + (copySource == null ? "" : " <- " + copySource);
    }
}
