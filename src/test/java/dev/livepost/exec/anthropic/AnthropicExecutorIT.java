package dev.livepost.exec.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.App;
import dev.livepost.Config;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole server started with {@code --executor anthropic} and {@code ANTHROPIC_BASE_URL}
 * pointing at {@link FakeAnthropic}, driven over HTTP as the browser component does: create a
 * session for an artifact of a post, run it, read the event stream, fetch the files.
 */
class AnthropicExecutorIT {
    private static final String POST =
            """
            ---
            title: Runs on Anthropic
            date: 2026-11-20
            tags: [claude]
            ---

            ::code-runner{id=state}
            ```python
            n = 6
            print(n * 7)
            ```

            ::code-runner{id=ask mode=prompt}
            ```
            count the words of this plot request
            ```
            """;

    @TempDir Path dir;
    private FakeAnthropic fake;
    private App app;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    /** One SSE event of a run. */
    record Event(String name, JsonNode data) {}

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    private void start(String key) throws Exception {
        start(key, Map.of());
    }

    private void start(String key, Map<String, String> more) throws Exception {
        fake = new FakeAnthropic();
        Files.createDirectories(dir.resolve("posts"));
        Files.writeString(dir.resolve("posts/anthropic.md"), POST);
        var env = new HashMap<String, String>(more);
        if (key != null) {
            env.put("ANTHROPIC_API_KEY", key);
        }
        env.put("ANTHROPIC_BASE_URL", fake.baseUrl().toString());
        // No background precompute: it would open containers of its own.
        env.put("LIVEPOST_PRECOMPUTE", "false");
        var config =
                Config.parse(
                        List.of(
                                "--executor",
                                "anthropic",
                                "--port",
                                "0",
                                "--posts",
                                dir.resolve("posts").toString(),
                                "--data",
                                dir.resolve("data").toString()),
                        env,
                        dir);
        app = new App(config);
        app.start();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + app.port() + path);
    }

    private HttpResponse<String> post(String path, Object body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(uri(path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String session(String artifact) throws Exception {
        var created = post("/api/sessions", Map.of("artifact", artifact));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return json.readTree(created.body()).path("session").asText();
    }

    private List<Event> run(String token, String field, String source) throws Exception {
        var response =
                http.send(
                        HttpRequest.newBuilder(uri("/api/sessions/" + token + "/runs"))
                                .header("Content-Type", "application/json")
                                .header("Accept", "text/event-stream")
                                .POST(
                                        HttpRequest.BodyPublishers.ofString(
                                                json.writeValueAsString(Map.of(field, source))))
                                .build(),
                        HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        var events = new ArrayList<Event>();
        String name = null;
        for (String line : (Iterable<String>) response.body()::iterator) {
            if (line.startsWith("event:")) {
                name = line.substring(6).trim();
            } else if (line.startsWith("data:") && name != null) {
                events.add(new Event(name, json.readTree(line.substring(5).trim())));
            }
        }
        return events;
    }

    private static List<String> names(List<Event> events) {
        return events.stream().map(Event::name).toList();
    }

    private JsonNode get(String path) throws Exception {
        var response =
                http.send(
                        HttpRequest.newBuilder(uri(path)).build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return json.readTree(response.body());
    }

    @Test
    void aCodeArtifactRunsInTheContainerAndKeepsItsState() throws Exception {
        start(FakeAnthropic.KEY);
        assertThat(get("/healthz").path("executor").asText()).isEqualTo("anthropic");
        String token = session("anthropic/state");

        var first = run(token, "code", "n = 6\nprint(n * 7)");
        var second =
                run(token, "code", "import matplotlib.pyplot as plt\nplt.plot(range(n))\nprint(n)");

        assertThat(names(first)).containsExactly("run", "stdout", "done");
        assertThat(first.get(0).data().path("executor").asText()).isEqualTo("anthropic");
        assertThat(first.get(1).data().path("text").asText()).isEqualTo("42\n");
        assertThat(first.get(2).data().path("status").asText()).isEqualTo("ok");
        // What the run cost is in its done event, and counted in /metrics.
        JsonNode usage = first.get(2).data().path("usage");
        assertThat(usage.path("outputTokens").asLong()).isPositive();
        assertThat(usage.path("cacheWriteTokens").asLong()).isPositive();
        assertThat(usage.path("costUsd").asDouble()).isPositive();
        assertThat(names(second)).containsExactly("run", "stdout", "file", "done");
        assertThat(second.get(1).data().path("text").asText()).isEqualTo("6\n");
        JsonNode file = second.get(2).data();
        assertThat(file.path("name").asText()).isEqualTo("figure-1.png");
        assertThat(file.path("mime").asText()).isEqualTo("image/png");
        var served =
                http.send(
                        HttpRequest.newBuilder(uri(file.path("url").asText())).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(served.headers().firstValue("content-type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("image/png"));
        assertThat(served.body()).startsWith(0x89, 'P', 'N', 'G');
        assertThat(fake.containerCount()).isEqualTo(1);
        assertThat(fake.violations).isEmpty();
        var metrics =
                http.send(
                        HttpRequest.newBuilder(uri("/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body())
                .contains("livepost_anthropic_tokens_total{kind=\"output\"}")
                .contains("livepost_anthropic_cost_usd_total");
    }

    @Test
    void pastTheDailyBudgetRunsEndWithBudgetExhausted() throws Exception {
        start(FakeAnthropic.KEY, Map.of("LIVEPOST_ANTHROPIC_DAILY_BUDGET", "100"));
        String token = session("anthropic/state");

        var first = run(token, "code", "print(1)");
        var second = run(token, "code", "print(2)");

        assertThat(names(first)).containsExactly("run", "stdout", "done");
        assertThat(names(second)).containsExactly("run", "error");
        assertThat(second.get(1).data().path("code").asText()).isEqualTo("budget_exhausted");
        assertThat(second.get(1).data().path("message").asText()).contains("UTC");
        assertThat(fake.messageRequests()).hasSize(1);
    }

    @Test
    void aPromptArtifactStreamsWhatClaudeSaysAndRuns() throws Exception {
        start(FakeAnthropic.KEY);
        String token = session("anthropic/ask");

        var events = run(token, "prompt", "please plot this");

        assertThat(names(events))
                .startsWith("run", "text")
                .contains("code", "stdout", "file")
                .endsWith("done");
        assertThat(
                        events.stream()
                                .filter(e -> e.name().equals("code"))
                                .map(e -> e.data().path("language").asText()))
                .containsExactly("python", "bash");
        assertThat(
                        events.stream()
                                .filter(e -> e.name().equals("stdout"))
                                .map(e -> e.data().path("text").asText()))
                .containsExactly("3\n");
        assertThat(
                        events.stream()
                                .filter(e -> e.name().equals("file"))
                                .map(e -> e.data().path("name").asText()))
                .containsExactly("words.png");
        assertThat(fake.violations).isEmpty();
    }

    @Test
    void withoutAKeyTheServerStartsAndSaysWhy() throws Exception {
        start(null);

        var health = get("/healthz");
        var created = post("/api/sessions", Map.of("artifact", "anthropic/state"));

        assertThat(health.path("status").asText()).isEqualTo("ok");
        assertThat(health.path("executorAvailable").asBoolean()).isFalse();
        assertThat(health.path("executorDetail").asText()).contains("ANTHROPIC_API_KEY");
        assertThat(created.statusCode()).isEqualTo(503);
        assertThat(json.readTree(created.body()).path("error").path("code").asText())
                .isEqualTo("executor_unavailable");
        assertThat(json.readTree(created.body()).path("error").path("message").asText())
                .contains("ANTHROPIC_API_KEY");
        assertThat(fake.requests).isEmpty();
    }
}
