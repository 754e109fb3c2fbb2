package dify.reconciler.inventory.storage;

/**
 * One entry of a listing one level deep ({@link ObjectStorage#listOneLevel}): either a common prefix (a "folder",
 * {@code prefix} set and ending in '/') or an object directly at that level ({@code object} set).
 */
public record ListingPart(String prefix, StoredObject object) {

    public static ListingPart folder(String prefix) {
        return new ListingPart(prefix, null);
    }

    public static ListingPart of(StoredObject object) {
        return new ListingPart(null, object);
    }

    public boolean isFolder() {
        return prefix != null;
    }

    /** Where this part starts in key order: the folder's prefix or the object's key. */
    public String start() {
        return prefix != null ? prefix : object.key();
    }
}
