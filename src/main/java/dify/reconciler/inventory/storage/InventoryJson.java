package dify.reconciler.inventory.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Reading the JSON manifests of inventory reports: fields named in either case style, failures naming the manifest. */
final class InventoryJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private InventoryJson() {
    }

    static JsonNode parse(String manifestKey, byte[] manifest) {
        try {
            return JSON.readTree(manifest);
        } catch (IOException e) {
            throw new StorageException("inventory report " + manifestKey + ": the manifest is not JSON: " + e.getMessage(), e);
        }
    }

    /** The first of {@code names} present (snake_case and camelCase spellings of one field), or null. */
    static JsonNode field(JsonNode node, String... names) {
        if (node == null) {
            return null;
        }
        for (String name : names) {
            JsonNode value = node.get(name);
            if (value != null && !value.isNull()) {
                return value;
            }
        }
        return null;
    }

    static String text(String manifestKey, JsonNode node, String... names) {
        JsonNode value = field(node, names);
        if (value == null || value.isContainerNode()) {
            throw new StorageException("inventory report " + manifestKey + ": the manifest has no " + names[0]);
        }
        return value.asText();
    }

    /** An RFC 3339 time ({@code 2026-12-06T01:00:00Z}, fractions and offsets allowed). */
    static Instant time(String manifestKey, String field, String value) {
        try {
            return OffsetDateTime.parse(value, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            throw new StorageException("inventory report " + manifestKey + ": " + field + " '" + value + "' is not an RFC 3339 time", e);
        }
    }
}
