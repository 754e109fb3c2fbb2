-- Deep verify's verdicts (issue 20): what an object's bytes were found to be, per key and listed version, so a scan
-- reads again only what changed, and what was verified longer ago than reconciler.deep-verify-full-every.
-- Independent of V8: it only adds its own table.
CREATE TABLE deep_verify_cache (
    object_key    text PRIMARY KEY,
    size          bigint NOT NULL,
    -- The entity tag as listed (S3 ETag, GCS content tag, Azure ETag); null for local storage.
    etag          text,
    -- The last-modified time as listed, ISO-8601 exactly as read: a timestamptz would cut local storage's nanoseconds,
    -- so no cached verdict would ever match its listing again.
    last_modified text,
    -- When these bytes were last read and judged; a verdict older than deep-verify-full-every is read again.
    verified_at   timestamptz NOT NULL,
    -- The bytes are the package their key names: their sha256 (installed copies are compared with it).
    sha256        text,
    -- The bytes are not: the checksum_mismatch detail, reported again while the object stays at this version.
    mismatch      text,
    CHECK ((sha256 IS NULL) <> (mismatch IS NULL))
);
