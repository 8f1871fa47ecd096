package dev.livepost.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A client of Livepost's session API that times a run the way a reader's page sees it: from the
 * request to the first output event and to {@code done}. Not thread-safe; one per benchmark.
 */
final class ApiClient {
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final URI base;

    /** Nanosecond timestamps of one run. */
    record Timing(long firstOutputNanos, long doneNanos, String status) {}

    ApiClient(URI base) {
        this.base = base;
    }

    String createSession(String artifact) throws IOException, InterruptedException {
        var res =
                post(
                        "/api/sessions",
                        Map.of("artifact", artifact),
                        HttpResponse.BodyHandlers.ofString(),
                        "application/json");
        if (res.statusCode() != 201) {
            throw new IOException(
                    "POST /api/sessions answered " + res.statusCode() + ": " + res.body());
        }
        return json.readTree(res.body()).get("session").asText();
    }

    void deleteSession(String token) throws IOException, InterruptedException {
        http.send(
                HttpRequest.newBuilder(base.resolve("/api/sessions/" + token)).DELETE().build(),
                HttpResponse.BodyHandlers.discarding());
    }

    /** Runs code and reads its event stream as it arrives. */
    Timing run(String token, String code) throws IOException, InterruptedException {
        var res =
                post(
                        "/api/sessions/" + token + "/runs",
                        Map.of("code", code),
                        HttpResponse.BodyHandlers.ofLines(),
                        "text/event-stream");
        if (res.statusCode() != 200) {
            throw new IOException("run answered " + res.statusCode());
        }
        long first = 0;
        String event = null;
        try (Stream<String> lines = res.body()) {
            Iterator<String> it = lines.iterator();
            while (it.hasNext()) {
                String line = it.next();
                if (line.startsWith("event: ")) {
                    event = line.substring(7).trim();
                } else if (line.startsWith("data: ") && event != null) {
                    long now = System.nanoTime();
                    if (first == 0 && isOutput(event)) {
                        first = now;
                    }
                    if (event.equals("done") || event.equals("error")) {
                        JsonNode data = json.readTree(line.substring(6));
                        String status =
                                event.equals("done")
                                        ? data.get("status").asText()
                                        : data.get("code").asText();
                        return new Timing(first == 0 ? now : first, now, status);
                    }
                }
            }
        }
        throw new IOException("the event stream ended without done");
    }

    private static boolean isOutput(String event) {
        return event.equals("stdout")
                || event.equals("stderr")
                || event.equals("display")
                || event.equals("file");
    }

    private <T> HttpResponse<T> post(
            String path, Object body, HttpResponse.BodyHandler<T> handler, String accept)
            throws IOException, InterruptedException {
        var req =
                HttpRequest.newBuilder(base.resolve(path))
                        .header("Content-Type", "application/json")
                        .header("Accept", accept)
                        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)))
                        .build();
        return http.send(req, handler);
    }
}
