package dev.livepost.kernel;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * System.out or System.err of the snippets: sent as output messages on the out pipe, so that output
 * and displayed values keep their order. Flushed at every line (the PrintStream's autoflush), past
 * 8 KiB, and at the end of each snippet. Thread-safe.
 */
final class StreamOut extends OutputStream {
    private static final int MAX_BUFFER = 8 << 10;
    private final Messages messages;
    private final String name;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    StreamOut(Messages messages, String name) {
        this.messages = messages;
        this.name = name;
    }

    @Override
    public synchronized void write(int b) {
        buffer.write(b);
        if (buffer.size() >= MAX_BUFFER) {
            flush();
        }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        buffer.write(b, off, len);
        if (buffer.size() >= MAX_BUFFER) {
            flush();
        }
    }

    @Override
    public synchronized void flush() {
        if (buffer.size() == 0) {
            return;
        }
        byte[] bytes = buffer.toByteArray();
        // Keep an incomplete UTF-8 sequence at the end for the next flush.
        int end = bytes.length;
        int i = end - 1;
        while (i >= 0 && i > end - 4 && (bytes[i] & 0xC0) == 0x80) {
            i--;
        }
        if (i >= 0 && (bytes[i] & 0x80) != 0) {
            int lead = bytes[i] & 0xFF;
            int need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            if (end - i < need) {
                end = i;
            }
        }
        buffer.reset();
        buffer.write(bytes, end, bytes.length - end);
        if (end > 0) {
            messages.stream(name, new String(bytes, 0, end, StandardCharsets.UTF_8));
        }
    }
}
