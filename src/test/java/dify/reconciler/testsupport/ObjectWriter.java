package dify.reconciler.testsupport;

import java.nio.charset.StandardCharsets;

/** Seeds a store with objects, so the same test data can be written to S3 and to a local folder. */
public interface ObjectWriter {

    void put(String key, byte[] content);

    default void put(String key, String content) {
        put(key, content.getBytes(StandardCharsets.UTF_8));
    }

    /** Puts each key with its own name as content. */
    default void putAll(Iterable<String> keys) {
        for (String key : keys) {
            put(key, key);
        }
    }
}
