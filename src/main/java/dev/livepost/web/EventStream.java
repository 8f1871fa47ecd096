package dev.livepost.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.exec.EventSink;
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
final class EventStream implements EventSink {
    private final OutputStream out;
    private final ObjectMapper json;
    private final String filesUrl;
    private final Runnable onClose;
    private boolean closed;

    /**
     * @param filesUrl the address of the session's files, to which a {@code file} event's id is
     *     appended to make its {@code url}
     * @param onClose runs once when the client went away
     */
    EventStream(OutputStream out, ObjectMapper json, String filesUrl, Runnable onClose) {
        this.out = out;
        this.json = json;
        this.filesUrl = filesUrl;
        this.onClose = onClose;
    }

    /** A {@code file} event as the contract sends it: with the address to fetch the file from. */
    private record FileWithUrl(String id, String name, String mime, long size, String url) {}

    @Override
    public synchronized void send(RunEvent event) {
        send(event.event(), wire(event));
    }

    /** The data of {@code event} as the contract sends it. */
    Object wire(RunEvent event) {
        return event instanceof RunEvent.File f
                ? new FileWithUrl(f.id(), f.name(), f.mime(), f.size(), filesUrl + f.id())
                : event;
    }

    /** An event that is not a run's (the chat's {@code artifact}, {@code markdown}). */
    synchronized void send(String name, Object wire) {
        String data;
        try {
            data = json.writeValueAsString(wire);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + name, e);
        }
        // JSON never holds a raw newline, so one data: line carries the whole event.
        write("event: " + name + "\ndata: " + data + "\n\n");
    }

    /** A comment line, so a closed tab is noticed even while the code prints nothing. */
    synchronized void heartbeat() {
        write(": keep-alive\n\n");
    }

    /**
     * Ends the response (its last chunk is written now, not after the handler returns) without
     * calling {@code onClose}: the run ended, not the client.
     */
    @Override
    public synchronized void close() {
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
