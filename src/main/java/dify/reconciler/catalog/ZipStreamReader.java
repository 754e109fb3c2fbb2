package dify.reconciler.catalog;

import dify.reconciler.catalog.InvalidPackageException.Problem;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Reads a zip archive front to back in one pass, handing each entry's raw name and decompressed bytes to a
 * {@link Visitor}, and then checks the central directory and end record against what it read.
 *
 * <p>Why not {@link java.util.zip.ZipInputStream}: it never reads the central directory, so an archive cut off
 * after its last entry looks complete to it. The daemon (Go {@code archive/zip}) reads only the central
 * directory, so such an archive cannot be opened there at all. We must call it truncated too.
 *
 * <p>Memory stays flat: one buffer for input, one for output, and a few numbers per entry.
 * Not supported (reported as {@link Problem#UNSUPPORTED}): ZIP64, encryption, methods other than stored and
 * deflate, a stored entry with a trailing data descriptor, data before the first entry.
 */
final class ZipStreamReader {

    /** Receives entries in archive order. */
    interface Visitor {
        /** Starts an entry; the returned sink receives its decompressed bytes, then {@code end()} once verified. */
        ContentSink entry(byte[] rawName) throws InvalidPackageException;
    }

    /** The decompressed content of one entry. */
    interface ContentSink {
        void accept(byte[] buffer, int offset, int length) throws InvalidPackageException;

        /** Called after the entry's CRC and sizes were verified. */
        void end() throws InvalidPackageException;
    }

    private static final int LOCAL_HEADER = 0x04034b50;
    private static final int CENTRAL_HEADER = 0x02014b50;
    private static final int END_OF_CENTRAL_DIRECTORY = 0x06054b50;
    private static final int ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
    private static final int DATA_DESCRIPTOR = 0x08074b50;
    private static final int ZIP64_EXTRA = 0x0001;
    private static final long U32_MAX = 0xFFFFFFFFL;
    private static final int BUFFER = 16 * 1024;

    private final Source source;

    ZipStreamReader(InputStream in) {
        this.source = new Source(in);
    }

    /** What we learned from one local header and its data, to compare with the central directory. */
    private record LocalEntry(long offset, byte[] name, long crc, long compressedSize, long size) {
    }

    /**
     * Reads the whole archive. I/O failures of the underlying stream propagate as {@link IOException} (the object
     * could not be read: not a statement about the package); an early end of stream is {@link Problem#TRUNCATED}.
     */
    void read(Visitor visitor) throws IOException, InvalidPackageException {
        List<LocalEntry> entries = new ArrayList<>();
        while (true) {
            long offset = source.position();
            int signature = source.readSignature(offset == 0 ? "zip header" : "next zip header");
            if (signature == LOCAL_HEADER) {
                entries.add(readEntry(offset, visitor));
            } else if (signature == CENTRAL_HEADER || signature == END_OF_CENTRAL_DIRECTORY) {
                readCentralDirectory(signature, offset, entries);
                return;
            } else if (offset == 0) {
                throw new InvalidPackageException(Problem.NOT_A_ZIP,
                        "not a zip archive (starts with 0x" + Integer.toHexString(signature) + ")");
            } else {
                throw new InvalidPackageException(Problem.CORRUPT,
                        "unexpected zip record 0x" + Integer.toHexString(signature) + " at offset " + offset);
            }
        }
    }

    private LocalEntry readEntry(long offset, Visitor visitor) throws IOException, InvalidPackageException {
        byte[] header = source.readFully(26, "local file header");
        int flags = u16(header, 2);
        int method = u16(header, 4);
        long crc = u32(header, 10);
        long compressedSize = u32(header, 14);
        long size = u32(header, 18);
        byte[] name = source.readFully(u16(header, 22), "entry name");
        byte[] extra = source.readFully(u16(header, 24), "entry extra field");
        String display = display(name);

        if ((flags & 0x1) != 0) {
            throw new InvalidPackageException(Problem.UNSUPPORTED, "entry '" + display + "' is encrypted");
        }
        if (compressedSize == U32_MAX || size == U32_MAX || hasZip64Extra(extra)) {
            throw new InvalidPackageException(Problem.UNSUPPORTED, "entry '" + display + "' uses ZIP64");
        }
        boolean descriptor = (flags & 0x8) != 0;
        ContentSink sink = visitor.entry(name);
        CRC32 actualCrc = new CRC32();
        long[] counts; // {compressed bytes consumed, bytes produced}
        if (method == 0) {
            if (descriptor) {
                throw new InvalidPackageException(Problem.UNSUPPORTED,
                        "stored entry '" + display + "' has a data descriptor; its length is unknown while streaming");
            }
            if (compressedSize != size) {
                throw new InvalidPackageException(Problem.CORRUPT, "stored entry '" + display + "' has size "
                        + size + " but compressed size " + compressedSize);
            }
            counts = copyStored(size, actualCrc, sink, display);
        } else if (method == 8) {
            counts = inflate(actualCrc, sink, display);
        } else {
            throw new InvalidPackageException(Problem.UNSUPPORTED,
                    "entry '" + display + "' uses compression method " + method);
        }
        if (descriptor) {
            int first = source.readSignature("data descriptor of '" + display + "'");
            byte[] rest;
            if (first == DATA_DESCRIPTOR) {
                rest = source.readFully(12, "data descriptor of '" + display + "'");
                crc = u32(rest, 0);
                compressedSize = u32(rest, 4);
                size = u32(rest, 8);
            } else {
                rest = source.readFully(8, "data descriptor of '" + display + "'");
                crc = first & U32_MAX;
                compressedSize = u32(rest, 0);
                size = u32(rest, 4);
            }
        }
        if (actualCrc.getValue() != crc || counts[0] != compressedSize || counts[1] != size) {
            throw new InvalidPackageException(Problem.CORRUPT, "entry '" + display + "' does not match its recorded "
                    + "CRC or sizes (crc " + Long.toHexString(actualCrc.getValue()) + " vs " + Long.toHexString(crc)
                    + ", " + counts[1] + " vs " + size + " bytes)");
        }
        sink.end();
        return new LocalEntry(offset, name, crc, compressedSize, size);
    }

    private long[] copyStored(long size, CRC32 crc, ContentSink sink, String display)
            throws IOException, InvalidPackageException {
        byte[] buffer = new byte[BUFFER];
        long left = size;
        while (left > 0) {
            int n = source.read(buffer, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw truncated("content of '" + display + "'");
            }
            crc.update(buffer, 0, n);
            sink.accept(buffer, 0, n);
            left -= n;
        }
        return new long[] {size, size};
    }

    private long[] inflate(CRC32 crc, ContentSink sink, String display) throws IOException, InvalidPackageException {
        Inflater inflater = new Inflater(true);
        try {
            byte[] input = new byte[BUFFER];
            byte[] output = new byte[BUFFER];
            int lastRead = 0;
            long produced = 0;
            while (!inflater.finished()) {
                if (inflater.needsInput()) {
                    lastRead = source.read(input, input.length);
                    if (lastRead < 0) {
                        throw truncated("compressed content of '" + display + "'");
                    }
                    inflater.setInput(input, 0, lastRead);
                }
                int n = inflater.inflate(output);
                if (n > 0) {
                    crc.update(output, 0, n);
                    sink.accept(output, 0, n);
                    produced += n;
                } else if (inflater.needsDictionary()) {
                    throw new InvalidPackageException(Problem.CORRUPT, "entry '" + display + "' needs a preset dictionary");
                }
            }
            // The inflater may have been given bytes past the end of this entry: give them back.
            int remaining = inflater.getRemaining();
            if (remaining > 0) {
                source.unread(input, lastRead - remaining, remaining);
            }
            return new long[] {inflater.getBytesRead(), produced};
        } catch (DataFormatException e) {
            throw new InvalidPackageException(Problem.CORRUPT, "entry '" + display + "' has broken compressed data: "
                    + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }

    private void readCentralDirectory(int signature, long start, List<LocalEntry> entries)
            throws IOException, InvalidPackageException {
        int index = 0;
        while (signature == CENTRAL_HEADER) {
            byte[] header = source.readFully(42, "central directory");
            long crc = u32(header, 12);
            long compressedSize = u32(header, 16);
            long size = u32(header, 20);
            int nameLength = u16(header, 24);
            int skip = u16(header, 26) + u16(header, 28);
            long localOffset = u32(header, 38);
            byte[] name = source.readFully(nameLength, "central directory");
            source.readFully(skip, "central directory");
            if (index >= entries.size()) {
                throw new InvalidPackageException(Problem.CORRUPT, "central directory lists entry '" + display(name)
                        + "' that is not in the archive");
            }
            LocalEntry local = entries.get(index++);
            if (!Arrays.equals(local.name(), name) || local.crc() != crc || local.compressedSize() != compressedSize
                    || local.size() != size || local.offset() != localOffset) {
                throw new InvalidPackageException(Problem.CORRUPT, "central directory disagrees with entry '"
                        + display(local.name()) + "'");
            }
            signature = source.readSignature("central directory");
        }
        if (index != entries.size()) {
            throw new InvalidPackageException(Problem.CORRUPT, "central directory lists " + index + " of "
                    + entries.size() + " entries");
        }
        long end = source.position() - 4;
        if (signature == ZIP64_END_OF_CENTRAL_DIRECTORY) {
            throw new InvalidPackageException(Problem.UNSUPPORTED, "archive uses a ZIP64 end record");
        }
        if (signature != END_OF_CENTRAL_DIRECTORY) {
            throw new InvalidPackageException(Problem.CORRUPT,
                    "unexpected zip record 0x" + Integer.toHexString(signature) + " after the central directory");
        }
        byte[] record = source.readFully(18, "end of central directory");
        int total = u16(record, 6);
        long directorySize = u32(record, 8);
        long directoryOffset = u32(record, 12);
        if (total != (entries.size() & 0xFFFF) || directoryOffset != start || directorySize != end - start) {
            throw new InvalidPackageException(Problem.CORRUPT, "end of central directory disagrees with the archive");
        }
        // The comment carries the signature; it is not part of the checksum, but it must be there in full.
        source.readFully(u16(record, 16), "zip comment");
    }

    private static boolean hasZip64Extra(byte[] extra) {
        int i = 0;
        while (i + 4 <= extra.length) {
            if (u16(extra, i) == ZIP64_EXTRA) {
                return true;
            }
            i += 4 + u16(extra, i + 2);
        }
        return false;
    }

    private static InvalidPackageException truncated(String what) {
        return new InvalidPackageException(Problem.TRUNCATED, "zip archive is truncated (ended in " + what + ")");
    }

    /** A readable rendering of a raw entry name, for messages only. */
    static String display(byte[] rawName) {
        return new String(rawName, StandardCharsets.UTF_8);
    }

    private static int u16(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8;
    }

    private static long u32(byte[] b, int i) {
        return (u16(b, i) | (long) u16(b, i + 2) << 16) & U32_MAX;
    }

    /** The input with a position and room to push back what the inflater read past an entry. */
    private static final class Source {
        private final PushbackInputStream in;
        private long position;

        Source(InputStream in) {
            this.in = new PushbackInputStream(in, 2 * BUFFER);
        }

        long position() {
            return position;
        }

        int read(byte[] buffer, int length) throws IOException {
            int n = in.read(buffer, 0, length);
            if (n > 0) {
                position += n;
            }
            return n;
        }

        void unread(byte[] buffer, int offset, int length) throws IOException {
            in.unread(buffer, offset, length);
            position -= length;
        }

        byte[] readFully(int length, String what) throws IOException, InvalidPackageException {
            byte[] out = new byte[length];
            int done = 0;
            while (done < length) {
                int n = in.read(out, done, length - done);
                if (n < 0) {
                    if (position == 0 && done == 0) {
                        throw new InvalidPackageException(Problem.NOT_A_ZIP, "not a zip archive (empty input)");
                    }
                    throw position + done < 4 && what.equals("zip header")
                            ? new InvalidPackageException(Problem.NOT_A_ZIP, "not a zip archive (too short)")
                            : truncated(what);
                }
                done += n;
            }
            position += length;
            return out;
        }

        int readSignature(String what) throws IOException, InvalidPackageException {
            byte[] b = readFully(4, what);
            return (int) u32(b, 0);
        }
    }
}
