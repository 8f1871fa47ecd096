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
 * request to the first output event and to {@code done}. Thread-safe; a simulated reader may have
 * an address of its own, sent as {@code X-Forwarded-For} to a server that trusts loopback.
 */
final class ApiClient {
    // HTTP/1.1 as a reader's browser speaks it to the proxy, without the client's default offer
    // to upgrade every request to HTTP/2.
    private static final HttpClient HTTP =
            HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();
    // One for all clients: a mapper builds its serializers on first use, and a thousand readers
    // each with their own spent the load's seconds introspecting in the server's process.
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HTTP;
    private final ObjectMapper json = JSON;
    private final URI base;
    private final String forwardedFor;

    /** Nanosecond timestamps of one run. */
    record Timing(long firstOutputNanos, long doneNanos, String status) {}

    /** The server refused a request: its status and error code. */
    static final class Refused extends IOException {
        final int status;
        final String code;

        Refused(int status, String code, String detail) {
            super(status + " " + code + ": " + detail);
            this.status = status;
            this.code = code;
        }
    }

    ApiClient(URI base) {
        this(base, null);
    }

    /** A client for one simulated reader at {@code address} (null: the connection's own). */
    ApiClient(URI base, String address) {
        this.base = base;
        this.forwardedFor = address;
    }

    String createSession(String artifact) throws IOException, InterruptedException {
        var res =
                post(
                        "/api/sessions",
                        Map.of("artifact", artifact),
                        HttpResponse.BodyHandlers.ofString(),
                        "application/json");
        if (res.statusCode() != 201) {
            throw refused(res.statusCode(), res.body());
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
            throw refused(res.statusCode(), String.join("", res.body().toList()));
        }
        long first = 0;
        String event = null;
        Timing timing = null;
        try (Stream<String> lines = res.body()) {
            Iterator<String> it = lines.iterator();
            // Read to the stream's end, which follows its last event: a response closed before
            // its end closes its connection, and the client may already have chosen that
            // connection for the next request ("header parser received no bytes").
            while (it.hasNext()) {
                String line = it.next();
                if (timing != null) {
                    continue;
                }
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
                        timing = new Timing(first == 0 ? now : first, now, status);
                    }
                }
            }
        }
        if (timing == null) {
            throw new IOException("the event stream ended without done");
        }
        return timing;
    }

    private Refused refused(int status, String body) {
        String code = "http_" + status;
        try {
            code = json.readTree(body).path("error").path("code").asText(code);
        } catch (IOException e) {
            // not the contract's JSON: the status says enough
        }
        return new Refused(status, code, body.length() > 200 ? body.substring(0, 200) : body);
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
                        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
        if (forwardedFor != null) {
            req.header("X-Forwarded-For", forwardedFor);
        }
        return http.send(req.build(), handler);
    }
}
