package dev.livepost.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.exec.RunEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a run's events to one HTTP response as Server-Sent Events, flushing each one so it reaches
 * the reader as it happens. Events and heartbeats come from different threads, so writes are
 * serialized here. A client that went away is normal: the first failed write marks the stream
 * closed, runs {@code onClose} once, and later writes do nothing.
 *
 * <p>Written by hand rather than with Javalin's {@code SseHandler}, which answers {@code
 * Connection: close}: a run's stream ends with the run, and keeping the connection lets the page's
 * next run skip a new TCP handshake (a third of a warm run's latency in {@code livepost bench}).
 */
final class EventStream {
    private final OutputStream out;
    private final ObjectMapper json;
    private final Runnable onClose;
    private boolean closed;

    EventStream(OutputStream out, ObjectMapper json, Runnable onClose) {
        this.out = out;
        this.json = json;
        this.onClose = onClose;
    }

    synchronized void send(RunEvent event) {
        String data;
        try {
            data = json.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + event.event(), e);
        }
        // JSON never holds a raw newline, so one data: line carries the whole event.
        write("event: " + event.event() + "\ndata: " + data + "\n\n");
    }

    /** A comment line, so a closed tab is noticed even while the code prints nothing. */
    synchronized void heartbeat() {
        write(": keep-alive\n\n");
    }

    synchronized boolean closed() {
        return closed;
    }

    /**
     * Ends the response (its last chunk is written now, not after the handler returns) without
     * calling {@code onClose}: the run ended, not the client.
     */
    synchronized void finish() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            out.close();
        } catch (IOException e) {
            // The client left at the very end; nothing is lost.
        }
    }

    private void write(String text) {
        if (closed) {
            return;
        }
        try {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            closed = true;
            onClose.run();
        }
    }
}
