package dify.reconciler.remediate.objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.remediate.record.ObjectQuarantine;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The decisions of {@link ObjectRecovery} for each step boundary a killed process can leave behind. */
class ObjectRecoveryTest {

    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
    private static final String KEY = "plugin_packages/orphan";
    private static final String QKEY = "reconciler-quarantine/plugin_packages/orphan";

    private static final StoredObject OLD = new StoredObject(KEY, 10, T, "\"old\"");
    private static final StoredObject OLD_COPY = new StoredObject(QKEY, 10, T.plusSeconds(5), "\"old\"");
    private static final StoredObject NEW = new StoredObject(KEY, 20, T.plusSeconds(9), "\"new\"");

    private static ObjectQuarantine.Entry moved(String action) {
        return new ObjectQuarantine.Entry(1, "a1", action, KEY, QKEY, 10L, "\"old\"", T, false);
    }

    /** A created entry recorded with the source's version (before the write). */
    private static ObjectQuarantine.Entry created() {
        return new ObjectQuarantine.Entry(2, "a1", "copy_object", KEY, null, 20L, "\"new\"", T.minusSeconds(60), true);
    }

    private static ObjectRecovery.Decision decide(ObjectRecovery.Seen... seen) {
        return ObjectRecovery.decide(List.of(seen));
    }

    @Test
    void quarantineKilledAfterIntentIsRolledBackWithNothingToDelete() {
        ObjectRecovery.Decision d = decide(new ObjectRecovery.Seen(moved("quarantine_object"), OLD, null));
        assertEquals(ObjectRecovery.Verdict.ROLL_BACK, d.verdict());
        assertEquals(List.of(), d.deleteCopies());
        assertEquals(List.of(1L), d.forget());
        assertTrue(d.detail().startsWith(ObjectRecovery.ROLLED_BACK), d.detail());
    }

    @Test
    void quarantineKilledAfterTheCopyDeletesOnlyOurCopyWhileTheOriginalIsThere() {
        ObjectRecovery.Decision d = decide(new ObjectRecovery.Seen(moved("quarantine_object"), OLD, OLD_COPY));
        assertEquals(ObjectRecovery.Verdict.ROLL_BACK, d.verdict());
        assertEquals(List.of(OLD_COPY), d.deleteCopies());
    }

    @Test
    void quarantineKilledAfterTheDeleteIsCompletedAndTheCopyStays() {
        ObjectRecovery.Decision d = decide(new ObjectRecovery.Seen(moved("quarantine_object"), null, OLD_COPY));
        assertEquals(ObjectRecovery.Verdict.COMPLETE, d.verdict());
        assertEquals(List.of(), d.deleteCopies());
        assertEquals(List.of(), d.forget());
        assertTrue(d.detail().startsWith(ObjectRecovery.COMPLETED), d.detail());
    }

    @Test
    void neitherAtItsKeyNorInQuarantineIsLeftAlone() {
        ObjectRecovery.Decision d = decide(new ObjectRecovery.Seen(moved("quarantine_object"), null, null));
        assertEquals(ObjectRecovery.Verdict.UNDECIDED, d.verdict());
        assertEquals(List.of(), d.deleteCopies());
        assertEquals(List.of(), d.forget());
    }

    @Test
    void anOriginalChangedBySomeoneElseIsLeftAloneWithOurCopy() {
        StoredObject rewritten = new StoredObject(KEY, 10, T.plusSeconds(30), "\"other\"");
        ObjectRecovery.Decision d = decide(new ObjectRecovery.Seen(moved("quarantine_object"), rewritten, OLD_COPY));
        assertEquals(ObjectRecovery.Verdict.UNDECIDED, d.verdict());
        assertEquals(List.of(), d.deleteCopies());
    }

    /**
     * A put-back on Azure (every write its own ETag): the key holds a new version whose bytes the caller found equal
     * to our quarantine copy's; rolled back by removing our copy. The same version with other bytes stays undecided
     * ({@link #anOriginalChangedBySomeoneElseIsLeftAloneWithOurCopy}).
     */
    @Test
    void aPutBackWithItsOwnVersionTagIsRolledBackWhenItsBytesAreOurCopys() {
        StoredObject putBack = new StoredObject(KEY, 10, T.plusSeconds(30), "\"put-back\"");
        ObjectRecovery.Decision d = decide(new ObjectRecovery.Seen(moved("quarantine_object"), putBack, OLD_COPY, true));
        assertEquals(ObjectRecovery.Verdict.ROLL_BACK, d.verdict(), d.detail());
        assertEquals(List.of(OLD_COPY), d.deleteCopies());
        assertEquals(ObjectRecovery.Verdict.UNDECIDED,
                decide(new ObjectRecovery.Seen(moved("quarantine_object"), putBack, OLD_COPY, false)).verdict());
    }

    /** Azure gives every write its own ETag (a version, not a digest): our copy has another ETag than its original. */
    @Test
    void aCopyWithItsOwnVersionTagIsOursWhereTagsAreVersions() {
        ObjectQuarantine.Entry moved = new ObjectQuarantine.Entry(1, "a1", "quarantine_object", KEY, QKEY, 10L,
                "0x8DC1A2B3C4D5E6F", T, false);
        StoredObject copy = new StoredObject(QKEY, 10, T.plusSeconds(5), "0x8DC1A2B3C4D5F00");
        assertEquals(ObjectRecovery.Verdict.COMPLETE, decide(new ObjectRecovery.Seen(moved, null, copy)).verdict());
    }

    /** S3's single-part ETag is the MD5 of the bytes, kept by a copy: a same-size object with another MD5 is not ours. */
    @Test
    void aSameSizeObjectWithAnotherDigestIsNotOurCopy() {
        String md5 = "\"0123456789abcdef0123456789abcdef\"";
        ObjectQuarantine.Entry moved = new ObjectQuarantine.Entry(1, "a1", "quarantine_object", KEY, QKEY, 10L, md5, T, false);
        StoredObject other = new StoredObject(QKEY, 10, T.plusSeconds(5), "\"fedcba9876543210fedcba9876543210\"");
        assertEquals(ObjectRecovery.Verdict.UNDECIDED, decide(new ObjectRecovery.Seen(moved, null, other)).verdict());
        StoredObject ours = new StoredObject(QKEY, 10, T.plusSeconds(5), md5);
        assertEquals(ObjectRecovery.Verdict.COMPLETE, decide(new ObjectRecovery.Seen(moved, null, ours)).verdict());
    }

    @Test
    void aForeignObjectAtTheQuarantineKeyIsNeverDeleted() {
        StoredObject foreign = new StoredObject(QKEY, 3, T, "\"x\"");
        ObjectRecovery.Decision d = decide(new ObjectRecovery.Seen(moved("quarantine_object"), OLD, foreign));
        assertEquals(ObjectRecovery.Verdict.UNDECIDED, d.verdict());
        assertEquals(List.of(), d.deleteCopies());
    }

    @Test
    void replacingCopyKilledBeforeTheTargetWasWrittenIsRolledBack() {
        ObjectRecovery.Decision d = decide(new ObjectRecovery.Seen(moved("copy_object"), OLD, OLD_COPY),
                new ObjectRecovery.Seen(created(), OLD, null));
        assertEquals(ObjectRecovery.Verdict.ROLL_BACK, d.verdict());
        assertEquals(List.of(OLD_COPY), d.deleteCopies());
        assertEquals(List.of(1L, 2L), d.forget());
    }

    @Test
    void replacingCopyKilledAfterTheTargetWasWrittenIsCompletedAndItsVersionRecorded() {
        ObjectRecovery.Decision d = decide(new ObjectRecovery.Seen(moved("copy_object"), NEW, OLD_COPY),
                new ObjectRecovery.Seen(created(), NEW, null));
        assertEquals(ObjectRecovery.Verdict.COMPLETE, d.verdict());
        assertEquals(List.of(), d.deleteCopies());
        assertEquals(List.of(new ObjectRecovery.Created(2, NEW)), d.record());
    }

    @Test
    void replacedTargetWithoutItsOldBytesInQuarantineIsLeftAlone() {
        ObjectRecovery.Decision d = decide(new ObjectRecovery.Seen(moved("copy_object"), NEW, null),
                new ObjectRecovery.Seen(created(), NEW, null));
        assertEquals(ObjectRecovery.Verdict.UNDECIDED, d.verdict());
    }

    @Test
    void aCopyOnlyQuarantinedWhoseTargetVanishedIsLeftAlone() {
        ObjectRecovery.Decision d = decide(new ObjectRecovery.Seen(moved("copy_object"), null, OLD_COPY));
        assertEquals(ObjectRecovery.Verdict.UNDECIDED, d.verdict());
        assertEquals(List.of(), d.deleteCopies());
    }

    @Test
    void copyToAnAbsentTargetIsRolledBackWhileAbsentAndCompletedOnceWritten() {
        assertEquals(ObjectRecovery.Verdict.ROLL_BACK, decide(new ObjectRecovery.Seen(created(), null, null)).verdict());
        assertEquals(ObjectRecovery.Verdict.COMPLETE, decide(new ObjectRecovery.Seen(created(), NEW, null)).verdict());
        StoredObject other = new StoredObject(KEY, 7, T, "\"z\"");
        assertEquals(ObjectRecovery.Verdict.UNDECIDED, decide(new ObjectRecovery.Seen(created(), other, null)).verdict());
    }

    /**
     * Azure gives the written copy a tag of its own, not the source's: the created entry (recorded with the source's
     * version) is recognised by its size there, and only between two write-version tags.
     */
    @Test
    void aCopyWrittenOnAzureIsCompletedByItsSizeWhereEveryWriteHasItsOwnTag() {
        ObjectQuarantine.Entry created = new ObjectQuarantine.Entry(2, "a1", "copy_object", KEY, null, 20L, "0x8DC1A2B3C4D5E6F",
                T.minusSeconds(60), true);
        StoredObject written = new StoredObject(KEY, 20, T.plusSeconds(9), "0x8DC1A2B3C4D5F99");
        ObjectRecovery.Decision d = decide(new ObjectRecovery.Seen(created, written, null));
        assertEquals(ObjectRecovery.Verdict.COMPLETE, d.verdict());
        assertEquals(List.of(new ObjectRecovery.Created(2, written)), d.record());
        StoredObject otherSize = new StoredObject(KEY, 21, T.plusSeconds(9), "0x8DC1A2B3C4D5F99");
        assertEquals(ObjectRecovery.Verdict.UNDECIDED, decide(new ObjectRecovery.Seen(created, otherSize, null)).verdict());
        StoredObject s3Digest = new StoredObject(KEY, 20, T.plusSeconds(9), "\"0123456789abcdef0123456789abcdef\"");
        assertEquals(ObjectRecovery.Verdict.UNDECIDED, decide(new ObjectRecovery.Seen(created(), s3Digest, null)).verdict());
    }
}
