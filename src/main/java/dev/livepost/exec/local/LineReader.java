package dev.livepost.exec.local;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads UTF-8 lines of at most a given length from a sandbox's pipe. Code in the sandbox can write
 * to these pipes directly, so an endless line must cost it its sandbox, not the server its heap.
 * Not thread-safe: one reader thread per pipe.
 */
final class LineReader {
    private final InputStream in;
    private final int maxBytes;

    LineReader(InputStream in, int maxBytes) {
        this.in = new BufferedInputStream(in, 1 << 16);
        this.maxBytes = maxBytes;
    }

    /**
     * The next line without its {@code \n}, or null at the end of the stream.
     *
     * @param truncate whether a longer line is cut to the limit (the rest skipped) rather than
     *     refused
     * @throws IOException also when a line is longer than the limit and not truncated
     */
    String next(boolean truncate) throws IOException {
        var line = new ByteArrayOutputStream();
        int b;
        boolean any = false;
        while ((b = in.read()) != -1) {
            any = true;
            if (b == '\n') {
                return line.toString(StandardCharsets.UTF_8);
            }
            if (line.size() < maxBytes) {
                line.write(b);
            } else if (!truncate) {
                throw new IOException("a line longer than " + maxBytes + " bytes");
            }
        }
        return any ? line.toString(StandardCharsets.UTF_8) : null;
    }
}
