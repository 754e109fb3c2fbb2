package dify.reconciler.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.testsupport.BucketPolicy.Permission;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The IAM subset the documented bucket policies use, and how S3 requests map to the permissions AWS checks. */
class BucketPolicyTest {

    private static final BucketPolicy REPORT = BucketPolicy.read(Path.of("docs/bucket-policy-report.json"), "b");
    private static final BucketPolicy ARMED = BucketPolicy.read(Path.of("docs/bucket-policy-armed.json"), "b");

    @Test
    void listingNeedsAnAllowedPrefixAndAListingWithoutOneIsDenied() {
        assertTrue(REPORT.allows(list("plugin_packages/")));
        assertTrue(REPORT.allows(list("plugin/")), "* matches the empty rest");
        assertTrue(REPORT.allows(list("assets/a/b")));
        assertFalse(REPORT.allows(list("plugin")), "the prefix without its slash is not plugin/*");
        assertFalse(REPORT.allows(list("reconciler-quarantine/")));
        assertFalse(REPORT.allows(list("")));
        assertFalse(REPORT.allows(new Permission("s3:ListBucket", "arn:aws:s3:::b")), "no s3:prefix fails StringLike");
        assertFalse(REPORT.allows(new Permission("s3:ListBucket", "arn:aws:s3:::other", Map.of("s3:prefix", "plugin/"))));
        assertTrue(ARMED.allows(list("reconciler-quarantine/")));
    }

    @Test
    void objectActionsNeedTheirActionOnTheKeysPrefix() {
        assertTrue(REPORT.allows(new Permission("s3:GetObject", "arn:aws:s3:::b/plugin/x/y")));
        assertFalse(REPORT.allows(new Permission("s3:GetObject", "arn:aws:s3:::b/assets/x")), "no scan reads an asset");
        assertTrue(REPORT.allows(new Permission("S3:GETOBJECT", "arn:aws:s3:::b/plugin/x")), "actions are case-insensitive");
        assertFalse(REPORT.allows(new Permission("s3:GetObject", "arn:aws:s3:::b/persistence/x")), "persistence is only listed");
        assertFalse(REPORT.allows(new Permission("s3:GetObject", "arn:aws:s3:::B/plugin/x")), "resources are case-sensitive");
        assertFalse(REPORT.allows(new Permission("s3:PutObject", "arn:aws:s3:::b/plugin/x")));
        assertFalse(REPORT.allows(new Permission("s3:GetObject", "arn:aws:s3:::b/reconciler-quarantine/x")));
        assertTrue(ARMED.allows(new Permission("s3:DeleteObject", "arn:aws:s3:::b/plugin/x")));
        assertTrue(ARMED.allows(new Permission("s3:PutObject", "arn:aws:s3:::b/reconciler-quarantine/plugin/x")));
        assertFalse(ARMED.allows(new Permission("s3:DeleteObject", "arn:aws:s3:::b/persistence/x")), "never written");
        assertFalse(ARMED.allows(new Permission("s3:DeleteBucket", "arn:aws:s3:::b")));
    }

    @Test
    void wildcardsAndUnsupportedPolicies() {
        BucketPolicy p = BucketPolicy.parse("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                + "\"Action\":\"s3:Get*\",\"Resource\":\"arn:aws:s3:::BUCKET/a?c/*\"}]}", "b");
        assertTrue(p.allows(new Permission("s3:GetObjectVersion", "arn:aws:s3:::b/abc/k")));
        assertFalse(p.allows(new Permission("s3:GetObject", "arn:aws:s3:::b/abbc/k")), "? is one character");
        assertFalse(BucketPolicy.parse("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                + "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::BUCKET/a.c\"}]}", "b")
                .allows(new Permission("s3:GetObject", "arn:aws:s3:::b/abc")), "a dot in a pattern is literal");
        for (String unsupported : List.of(
                "{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"*\"}",
                "{\"Effect\":\"Allow\",\"NotAction\":\"s3:*\",\"Resource\":\"*\"}",
                "{\"Effect\":\"Allow\",\"Action\":\"s3:ListBucket\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"s3:prefix\":\"a\"}}}",
                "{\"Effect\":\"Allow\",\"Action\":\"s3:ListBucket\",\"Resource\":\"*\",\"Condition\":{\"StringLike\":{\"s3:delimiter\":\"/\"}}}")) {
            assertThrows(IllegalArgumentException.class,
                    () -> BucketPolicy.parse("{\"Version\":\"2012-10-17\",\"Statement\":[" + unsupported + "]}", "b"), unsupported);
        }
    }

    @Test
    void grantsNoRequestNeededAreNamed() {
        List<Permission> used = List.of(list("plugin/"), list("assets/"), new Permission("s3:GetObject", "arn:aws:s3:::b/plugin/k"),
                new Permission("s3:GetObject", "arn:aws:s3:::b/persistence/k"));
        assertEquals(List.of("s3:ListBucket on arn:aws:s3:::b with s3:prefix like plugin_packages/*",
                "s3:ListBucket on arn:aws:s3:::b with s3:prefix like plugin\\*",
                "s3:ListBucket on arn:aws:s3:::b with s3:prefix like persistence/*",
                "s3:GetObject on arn:aws:s3:::b/plugin_packages/*"),
                REPORT.grantsNotNeededBy(used));
    }

    @Test
    void requestsMapToThePermissionsAwsChecks() {
        S3Request list = S3Request.of("GET", "/b?list-type=2&prefix=plugin%2F&max-keys=1000&encoding-type=url", Map.of());
        assertEquals("ListObjectsV2", list.operation());
        assertEquals(List.of(list("plugin/")), list.needs());
        assertEquals(List.of(new Permission("s3:ListBucket", "arn:aws:s3:::b")),
                S3Request.of("GET", "/b?list-type=2&max-keys=1", Map.of()).needs(), "no prefix, no s3:prefix");
        assertEquals("ListMultipartUploads", S3Request.of("GET", "/b?uploads", Map.of()).operation());

        S3Request head = S3Request.of("HEAD", "/b/plugin/a%20b%2Bc@1", Map.of());
        assertEquals("plugin/a b+c@1", head.key());
        assertEquals(List.of(new Permission("s3:GetObject", "arn:aws:s3:::b/plugin/a b+c@1")), head.needs());

        S3Request copy = S3Request.of("PUT", "/b/reconciler-quarantine/plugin/k",
                Map.of("x-amz-copy-source", "b/plugin/k", "x-amz-copy-source-if-match", "\"e\""));
        assertEquals("CopyObject", copy.operation());
        assertEquals("b/plugin/k", copy.copySource());
        assertEquals(List.of(new Permission("s3:GetObject", "arn:aws:s3:::b/plugin/k"),
                new Permission("s3:PutObject", "arn:aws:s3:::b/reconciler-quarantine/plugin/k")), copy.needs());
        assertTrue(copy.needs().stream().allMatch(ARMED::allows));
        assertFalse(copy.needs().stream().allMatch(REPORT::allows));

        assertEquals(List.of(new Permission("s3:DeleteObject", "arn:aws:s3:::b/plugin/k")),
                S3Request.of("DELETE", "/b/plugin/k", Map.of("if-match", "\"e\"")).needs());
        assertFalse(ARMED.allows(S3Request.of("PUT", "/b", Map.of()).needs().get(0)), "unknown operations are denied");
    }

    private static Permission list(String prefix) {
        return new Permission("s3:ListBucket", "arn:aws:s3:::b", Map.of("s3:prefix", prefix));
    }
}
