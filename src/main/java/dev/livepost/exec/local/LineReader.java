package dev.livepost.exec.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads UTF-8 lines of at most a given length from a sandbox's pipe. Code in the sandbox can write
 * to these pipes directly, so an endless line must cost it its sandbox, not the server its heap.
 * Not thread-safe: one reader at a time.
 */
final class LineReader {
    /**
     * What is read at once. Small: a reader is kept for every sandbox, a thousand of them and more,
     * and its buffer lives as long as the sandbox; a longer line takes several reads.
     */
    private static final int BUFFER_BYTES = 8 << 10;

    private final InputStream in;
    private final int maxBytes;
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private int pos;
    private int limit;

    LineReader(InputStream in, int maxBytes) {
        this.in = in;
        this.maxBytes = maxBytes;
    }

    /** Whether bytes read from the pipe wait here for the next {@link #next}. */
    boolean buffered() {
        return pos < limit;
    }

    /**
     * The next line without its {@code \n}, or null at the end of the stream.
     *
     * @param truncate whether a longer line is cut to the limit (the rest skipped) rather than
     *     refused
     * @throws IOException also when a line is longer than the limit and not truncated
     */
    String next(boolean truncate) throws IOException {
        ByteArrayOutputStream spill = null; // a line that spans reads
        while (true) {
            if (pos == limit) {
                int n = in.read(buffer);
                if (n < 0) {
                    return spill == null ? null : spill.toString(StandardCharsets.UTF_8);
                }
                pos = 0;
                limit = n;
            }
            int start = pos;
            int end = start;
            while (end < limit && buffer[end] != '\n') {
                end++;
            }
            boolean complete = end < limit;
            pos = complete ? end + 1 : limit;
            int have = spill == null ? 0 : spill.size();
            int take = end - start;
            if (have + take > maxBytes) {
                if (!truncate) {
                    throw new IOException("a line longer than " + maxBytes + " bytes");
                }
                take = Math.max(0, maxBytes - have);
            }
            if (complete && spill == null) {
                return new String(buffer, start, take, StandardCharsets.UTF_8);
            }
            if (spill == null) {
                spill = new ByteArrayOutputStream();
            }
            spill.write(buffer, start, take);
            if (complete) {
                return spill.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
