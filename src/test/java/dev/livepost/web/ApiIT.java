package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.testing.Adversarial;
import dev.livepost.testing.LiveRun;
import dev.livepost.testing.Sse;
import dev.livepost.testing.Sse.Event;
import dev.livepost.testing.TestApp;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The session API over HTTP on the real server and the real local sandbox. */
class ApiIT {
    private static final String POST =
            """
            ---
            title: API test
            date: 2026-01-01
            ---
            ::code-runner{id=fib}
            ```python
            print(1)
            ```

            ::code-runner{id=base}
            ```python
            greeting = 'hello from setup'
            ```

            ::code-runner{id=uses-setup setup=base timeout=2}
            ```python
            print(greeting)
            ```
            """;

    @TempDir static Path posts;
    static TestApp app;
    static final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws IOException {
        Files.writeString(posts.resolve("api.md"), POST);
        app = TestApp.start(posts, Map.of("LIVEPOST_POOL_SIZE", "2"));
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void healthNamesTheExecutor() throws Exception {
        var r = get("/healthz");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json.readTree(r.body()).path("executor").asText()).isEqualTo("local");
    }

    @Test
    void runStreamsEventsInOrder() throws Exception {
        String token = create("api/fib");
        List<Event> events =
                run(
                        token,
                        "import time\nprint('a', flush=True)\ntime.sleep(1.5)\nprint('b')\n6 * 7");
        assertThat(events)
                .extracting(Event::name)
                .containsExactly("run", "stdout", "stdout", "display", "done");
        assertThat(events.get(0).data().path("session").asText()).isEqualTo(token);
        assertThat(events.get(0).data().path("executor").asText()).isEqualTo("local");
        assertThat(events.get(1).data().path("text").asText()).isEqualTo("a\n");
        assertThat(events.get(3).data().path("mime").path("text/plain").asText()).isEqualTo("42");
        JsonNode done = events.get(4).data();
        assertThat(done.path("status").asText()).isEqualTo("ok");
        assertThat(done.path("exitCode").asInt()).isZero();
        assertThat(done.path("durationMs").asLong()).isGreaterThanOrEqualTo(1500);
        // 'a' reached the client while the code was still sleeping.
        assertThat(Duration.ofNanos(events.get(4).nanos() - events.get(1).nanos()))
                .isGreaterThan(Duration.ofMillis(1000));
    }

    @Test
    void errorRunEndsWithDoneError() throws Exception {
        List<Event> events = run(create("api/fib"), "raise KeyError('nope')");
        assertThat(events).extracting(Event::name).containsExactly("run", "stderr", "done");
        assertThat(events.get(1).data().path("text").asText()).contains("KeyError: 'nope'");
        assertThat(events.get(2).data().path("status").asText()).isEqualTo("error");
        assertThat(events.get(2).data().path("exitCode").asInt()).isEqualTo(1);
    }

    @Test
    void setupBlockRunsFirstAndArtifactTimeoutApplies() throws Exception {
        String token = create("api/uses-setup");
        assertThat(run(token, "print(greeting)"))
                .extracting(Event::name)
                .containsExactly("run", "stdout", "done");
        List<Event> slow = run(token, "import time\ntime.sleep(10)");
        Event done = slow.get(slow.size() - 1);
        assertThat(done.data().path("status").asText()).isEqualTo("timeout");
        assertThat(slow).extracting(Event::name).contains("notice");
    }

    @Test
    void figureIsServedAsPng() throws Exception {
        String token = create("api/fib");
        List<Event> events =
                run(token, "import matplotlib.pyplot as plt\nplt.bar([1, 2], [3, 4])\nplt.show()");
        Event file = events.stream().filter(e -> e.name().equals("file")).findFirst().orElseThrow();
        assertThat(file.data().path("name").asText()).isEqualTo("figure-1.png");
        String url = file.data().path("url").asText();
        assertThat(url).startsWith("/api/sessions/" + token + "/files/");
        HttpResponse<byte[]> png =
                app.http().send(app.request(url).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(png.statusCode()).isEqualTo(200);
        assertThat(png.headers().firstValue("Content-Type")).hasValue("image/png");
        assertThat(png.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(png.headers().firstValue("Content-Security-Policy")).isPresent();
        assertThat(Arrays.copyOf(png.body(), 4)).containsExactly(0x89, 'P', 'N', 'G');
        assertThat(png.body()).hasSize(file.data().path("size").asInt());
        assertThat(get("/api/sessions/" + token + "/files/nope").statusCode()).isEqualTo(404);
    }

    @Adversarial
    @Test
    void statusCodes() throws Exception {
        assertThat(post("/api/sessions", "{\"artifact\":\"api/none\"}").statusCode())
                .isEqualTo(404);
        assertThat(post("/api/sessions", "{\"artifact\":\"nothing\"}").statusCode()).isEqualTo(400);
        assertThat(post("/api/sessions", "not json").statusCode()).isEqualTo(400);
        var unknown = postRun("no-such-token", "print(1)");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json.readTree(unknown.body()).path("error").path("code").asText())
                .isEqualTo("session_not_found");

        String token = create("api/fib");
        String big = "x = 1\n".repeat(20_000);
        var tooLarge = postRun(token, big);
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(json.readTree(tooLarge.body()).path("error").path("code").asText())
                .isEqualTo("code_too_large");

        var interrupt = post("/api/sessions/" + token + "/interrupt", "{}");
        assertThat(interrupt.statusCode()).isEqualTo(202);
        assertThat(delete("/api/sessions/" + token).statusCode()).isEqualTo(204);
        assertThat(delete("/api/sessions/" + token).statusCode()).isEqualTo(404);
        assertThat(postRun(token, "1").statusCode()).isEqualTo(404);
        assertThat(
                        post("/api/sessions/" + create("api/fib") + "/runs", "{\"code\":\"1\"}")
                                .statusCode())
                .isEqualTo(406);
    }

    @Test
    void concurrentRunIsRefusedAndInterruptStopsTheFirst() throws Exception {
        String token = create("api/fib");
        run(token, "x = 'kept'");
        LiveRun first =
                LiveRun.start(
                        app.http(),
                        runRequest(token, "import time\nprint('go', flush=True)\ntime.sleep(30)")
                                .build());
        first.awaitStdout("go");
        var second = postRun(token, "print(2)");
        assertThat(second.statusCode()).isEqualTo(409);
        assertThat(json.readTree(second.body()).path("error").path("code").asText())
                .isEqualTo("run_in_progress");
        assertThat(post("/api/sessions/" + token + "/interrupt", "{}").statusCode()).isEqualTo(202);
        List<Event> events = first.events(Duration.ofSeconds(15));
        assertThat(events.get(events.size() - 1).data().path("status").asText())
                .isEqualTo("interrupted");
        List<Event> after = run(token, "print(x)");
        assertThat(after.get(1).data().path("text").asText()).isEqualTo("kept\n");
    }

    @Adversarial
    @Test
    void sessionsBeyondTheLimitAreRefusedWith429() throws Exception {
        // Its own server, so the other tests here are not limited.
        try (var limited = TestApp.start(posts, Map.of("LIVEPOST_SESSIONS_PER_MINUTE", "2"))) {
            String body = "{\"artifact\":\"api/fib\"}";
            assertThat(limited.post("/api/sessions", body).statusCode()).isEqualTo(201);
            assertThat(limited.post("/api/sessions", body).statusCode()).isEqualTo(201);
            var third = limited.post("/api/sessions", body);
            assertThat(third.statusCode()).as(third.body()).isEqualTo(429);
            assertThat(third.headers().firstValue("Retry-After"))
                    .hasValueSatisfying(
                            v -> assertThat(Integer.parseInt(v)).isGreaterThanOrEqualTo(1));
            JsonNode error = json.readTree(third.body()).path("error");
            assertThat(error.path("code").asText()).isEqualTo("rate_limited");
            assertThat(error.path("message").asText()).isNotBlank();
            // The limit is per server: the shared one still answers.
            assertThat(create("api/fib")).isNotBlank();
        }
    }

    @Adversarial
    @Test
    void crossSiteRequestsAreRefused() throws Exception {
        String body = "{\"artifact\":\"api/fib\"}";
        var plain =
                app.send(
                        app.request("/api/sessions")
                                .header("Content-Type", "text/plain")
                                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(plain.statusCode()).isEqualTo(415);
        assertThat(json.readTree(plain.body()).path("error").path("code").asText())
                .isEqualTo("unsupported_media_type");
        var untyped = app.send(app.request("/api/sessions").POST(BodyPublishers.ofString(body)));
        assertThat(untyped.statusCode()).isEqualTo(415);

        var foreign = withOrigin("/api/sessions", "https://evil.example", body);
        assertThat(foreign.statusCode()).isEqualTo(403);
        assertThat(json.readTree(foreign.body()).path("error").path("code").asText())
                .isEqualTo("origin_not_allowed");
        // The site's own origin is always welcome.
        var own = withOrigin("/api/sessions", app.base(), body);
        assertThat(own.statusCode()).as(own.body()).isEqualTo(201);

        String token = json.readTree(own.body()).path("session").asText();
        var interrupt =
                app.send(
                        app.request("/api/sessions/" + token + "/interrupt")
                                .POST(BodyPublishers.noBody()));
        assertThat(interrupt.statusCode()).isEqualTo(415);
        var delete =
                app.send(
                        app.request("/api/sessions/" + token)
                                .header("Origin", "http://127.0.0.1:1")
                                .DELETE());
        assertThat(delete.statusCode()).isEqualTo(403);
        assertThat(app.delete("/api/sessions/" + token).statusCode()).isEqualTo(204);
    }

    @Test
    void originsInTheAllowListMayCallTheApi() throws Exception {
        String body = "{\"artifact\":\"api/fib\"}";
        var env =
                Map.of(
                        "LIVEPOST_POOL_SIZE", "1",
                        "LIVEPOST_ALLOWED_ORIGINS", "https://blog.example, http://b.example:8000");
        try (var other = TestApp.start(posts, env)) {
            assertThat(withOrigin(other, "https://blog.example", body).statusCode()).isEqualTo(201);
            assertThat(withOrigin(other, "http://b.example:8000", body).statusCode())
                    .isEqualTo(201);
            assertThat(withOrigin(other, "http://b.example", body).statusCode()).isEqualTo(403);
            assertThat(withOrigin(other, "null", body).statusCode()).isEqualTo(403);
        }
        try (var any = TestApp.start(posts, Map.of("LIVEPOST_ALLOWED_ORIGINS", "*"))) {
            assertThat(withOrigin(any, "https://anyone.example", body).statusCode()).isEqualTo(201);
        }
    }

    private static HttpResponse<String> withOrigin(String path, String origin, String body)
            throws Exception {
        return app.send(
                app.request(path)
                        .header("Content-Type", "application/json")
                        .header("Origin", origin)
                        .POST(BodyPublishers.ofString(body)));
    }

    private static HttpResponse<String> withOrigin(TestApp server, String origin, String body)
            throws Exception {
        return server.send(
                server.request("/api/sessions")
                        .header("Content-Type", "application/json; charset=utf-8")
                        .header("Origin", origin)
                        .POST(BodyPublishers.ofString(body)));
    }

    private static String create(String artifact) throws Exception {
        var r = post("/api/sessions", "{\"artifact\":\"" + artifact + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode body = json.readTree(r.body());
        assertThat(body.path("expiresAt").asText()).isNotBlank();
        return body.path("session").asText();
    }

    /** Runs code and reads the whole event stream. */
    private static List<Event> run(String token, String code) throws Exception {
        HttpResponse<Stream<String>> r =
                app.http()
                        .send(runRequest(token, code).build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse(""))
                .startsWith("text/event-stream");
        return Sse.read(r.body());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return app.get(path);
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return app.post(path, body);
    }

    /** Starts a run but reads only the status and body of a refusal. */
    private static HttpResponse<String> postRun(String token, String code) throws Exception {
        return app.send(runRequest(token, code));
    }

    private static HttpRequest.Builder runRequest(String token, String code) throws Exception {
        return app.request("/api/sessions/" + token + "/runs")
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(
                        HttpRequest.BodyPublishers.ofString(
                                json.writeValueAsString(Map.of("code", code))));
    }

    private static HttpResponse<String> delete(String path) throws Exception {
        return app.delete(path);
    }
}
