package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Go's own documented examples (pkg.go.dev/path, Clean and Join) and the cases of its path_test.go that matter to keys. */
class GoPathTest {

    @Test
    void cleanGivesGosDocumentedResults() {
        // ExampleClean
        assertEquals("a/c", GoPath.clean("a/c"));
        assertEquals("a/c", GoPath.clean("a//c"));
        assertEquals("a/c", GoPath.clean("a/c/."));
        assertEquals("a/c", GoPath.clean("a/c/b/.."));
        assertEquals("/a/c", GoPath.clean("/../a/c"));
        assertEquals("/a/c", GoPath.clean("/../a/b/../././/c"));
        assertEquals(".", GoPath.clean(""));
        // path_test.go cleantests
        assertEquals("/", GoPath.clean("/"));
        assertEquals("abc", GoPath.clean("abc/"));
        assertEquals("a/b/c", GoPath.clean("a/b/c/"));
        assertEquals("/abc", GoPath.clean("//abc"));
        assertEquals(".", GoPath.clean("./"));
        assertEquals("..", GoPath.clean(".."));
        assertEquals("../..", GoPath.clean("../.."));
        assertEquals("../../abc", GoPath.clean("../../abc"));
        assertEquals("/abc", GoPath.clean("/abc/.."
                + "/abc"));
        assertEquals("/", GoPath.clean("/abc/.."));
        assertEquals(".", GoPath.clean("abc/.."));
        assertEquals(".", GoPath.clean("abc/def/../.."));
        assertEquals("..", GoPath.clean("abc/def/../../.."));
        assertEquals("/", GoPath.clean("/abc/def/../../.."));
        assertEquals("../../mno", GoPath.clean("abc/def/../../../ghi/jkl/../../../mno"));
        assertEquals("../abc", GoPath.clean("../abc"));
        assertEquals("def", GoPath.clean("abc/./../def"));
        assertEquals("def", GoPath.clean("abc//./../def"));
        assertEquals("../../def", GoPath.clean("abc/../../././../def"));
        assertEquals("abc/def/ghi", GoPath.clean("abc//def//ghi"));
        assertEquals("...", GoPath.clean("..."));
        assertEquals(".a/b..", GoPath.clean(".a/b.."));
    }

    @Test
    void joinGivesGosDocumentedResults() {
        // ExampleJoin
        assertEquals("a/b/c", GoPath.join("a", "b", "c"));
        assertEquals("a/b/c", GoPath.join("a", "b/c"));
        assertEquals("a/b/c", GoPath.join("a/b", "c"));
        assertEquals("a/b/c", GoPath.join("a/b", "/c"));
        assertEquals("../xyz", GoPath.join("a/b", "../../../xyz"));
        assertEquals("", GoPath.join("", ""));
        assertEquals("a", GoPath.join("a", ""));
        assertEquals("a", GoPath.join("", "a"));
        // path_test.go jointests
        assertEquals("", GoPath.join());
        assertEquals("/", GoPath.join("", "/"));
        assertEquals("/a", GoPath.join("/", "a"));
        assertEquals("/", GoPath.join("/", ""));
        assertEquals("/a/b", GoPath.join("/a", "b"));
        assertEquals("a/b", GoPath.join("a/", "b"));
    }

    @Test
    void theDaemonsAliyunKeysAreJoinedUnderTheTrimmedRoot() {
        // ALIYUN_OSS_PATH=/x/y: one leading slash trimmed, a trailing one added, then path.Join with the key.
        assertEquals("x/y/plugin/a:1@b", GoPath.join("x/y/", "plugin/a:1@b"));
        assertEquals("x/plugin/a", GoPath.join("x/y/", "../plugin/a"));
        assertEquals("x/y/plugin/a", GoPath.join("x/y/", "plugin//a/"));
        assertEquals("/x/plugin", GoPath.join("/x/", "plugin"), "//x trimmed once is still rooted");
    }
}
