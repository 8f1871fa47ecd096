package dev.livepost.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

/**
 * Talks to a running Livepost server's session API as the browser component does: creates sessions,
 * starts runs and reads their event streams to the end. Thread-safe; every call blocks until its
 * response is complete.
 */
public final class ApiClient {
    private final String base;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    /**
     * @param base the server's root, e.g. {@code http://127.0.0.1:PORT}
     */
    public ApiClient(String base) {
        this.base = base;
    }

    public URI uri(String path) {
        return URI.create(base + path);
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).build());
    }

    public HttpResponse<String> post(String path, Object body) {
        return send(
                HttpRequest.newBuilder(uri(path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(write(body)))
                        .build());
    }

    /** Creates a session for the artifact {@code SLUG/ID}; fails unless the server says 201. */
    public String createSession(String artifact) {
        var created = post("/api/sessions", Map.of("artifact", artifact));
        if (created.statusCode() != 201) {
            throw new AssertionError(
                    "POST /api/sessions for "
                            + artifact
                            + ": "
                            + created.statusCode()
                            + " "
                            + created.body());
        }
        return read(created.body()).path("session").asText();
    }

    /** Runs code in the session and returns every event of the stream. */
    public List<Sse.Event> runCode(String session, String code) {
        return run(session, "code", code);
    }

    /** Runs a prompt in the session and returns every event of the stream. */
    public List<Sse.Event> runPrompt(String session, String prompt) {
        return run(session, "prompt", prompt);
    }

    /**
     * Starts a run ({@code field} is {@code code} or {@code prompt}) and reads its event stream
     * until the server ends it; fails unless the server answers 200.
     */
    public List<Sse.Event> run(String session, String field, String source) {
        HttpResponse<java.util.stream.Stream<String>> response;
        try {
            response =
                    http.send(
                            HttpRequest.newBuilder(uri("/api/sessions/" + session + "/runs"))
                                    .header("Content-Type", "application/json")
                                    .header("Accept", "text/event-stream")
                                    .POST(
                                            HttpRequest.BodyPublishers.ofString(
                                                    write(Map.of(field, source))))
                                    .build(),
                            HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (response.statusCode() != 200) {
            throw new AssertionError(
                    "run in "
                            + session
                            + ": "
                            + response.statusCode()
                            + " "
                            + String.join("\n", response.body().toList()));
        }
        try (var lines = response.body()) {
            return Sse.read(lines);
        }
    }

    /** Starts a run and returns at once; its events are read as they arrive. */
    public LiveRun start(String session, String field, String source) {
        return LiveRun.start(
                http,
                HttpRequest.newBuilder(uri("/api/sessions/" + session + "/runs"))
                        .header("Content-Type", "application/json")
                        .header("Accept", "text/event-stream")
                        .POST(HttpRequest.BodyPublishers.ofString(write(Map.of(field, source))))
                        .build());
    }

    /** Names of the events, in order. */
    public static List<String> names(List<Sse.Event> events) {
        return events.stream().map(Sse.Event::name).toList();
    }

    public JsonNode read(String body) {
        try {
            return json.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String write(Object body) {
        try {
            return json.writeValueAsString(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
