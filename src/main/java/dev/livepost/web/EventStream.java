package dev.livepost.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.exec.RunEvent;
import io.javalin.http.sse.SseClient;

/**
 * Writes a run's events to one SSE client. Events and heartbeats come from different threads, so
 * writes are serialized here. A client that went away is normal: writes then do nothing.
 */
final class EventStream {
    private final SseClient client;
    private final ObjectMapper json;
    private volatile boolean finished;

    EventStream(SseClient client, ObjectMapper json) {
        this.client = client;
        this.json = json;
    }

    synchronized void send(RunEvent event) {
        if (client.terminated()) {
            return;
        }
        try {
            client.sendEvent(event.event(), json.writeValueAsString(event));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + event.event(), e);
        }
    }

    /** A comment line, so a closed tab is noticed even while the code prints nothing. */
    synchronized void heartbeat() {
        if (!client.terminated()) {
            client.sendComment("keep-alive");
        }
    }

    void finish() {
        finished = true;
    }

    boolean finished() {
        return finished;
    }
}
