package dify.reconciler.inventory.storage;

import java.util.Optional;

/**
 * The version checks every store makes before a write: the object is still at the version the caller saw, and a
 * target is only replaced when the caller named its version (else it must be absent). A changed object is an
 * {@link ObjectChangedException} ("skip it"), never a reason to write anyway.
 */
final class VersionGuard {

    private VersionGuard() {
    }

    static void requireVersion(ObjectStorage store, StoredObject expected, String what) {
        Optional<StoredObject> now = store.head(expected.key());
        if (!expected.sameVersionAs(now.orElse(null))) {
            throw new ObjectChangedException(what + " '" + expected.key() + "' changed: expected " + expected.describeVersion()
                    + ", found " + now.map(StoredObject::describeVersion).orElse("nothing"));
        }
    }

    static void requireTarget(ObjectStorage store, String key, StoredObject expectedTarget, String operation) {
        if (expectedTarget == null) {
            Optional<StoredObject> now = store.head(key);
            if (now.isPresent()) {
                throw new ObjectChangedException(operation + " target '" + key + "' exists (" + now.get().describeVersion()
                        + "): not overwritten");
            }
        } else {
            requireVersion(store, expectedTarget, operation + " target");
        }
    }
}
