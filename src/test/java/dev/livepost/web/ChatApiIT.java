package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.exec.anthropic.FakeAnthropicApi;
import dev.livepost.testing.Sse;
import dev.livepost.testing.TestApp;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chat API of a real server whose {@code anthropic} executor talks to the fake Anthropic API:
 * conversations, answers streamed as text, Markdown and artifacts, the reader's re-runs in the
 * conversation's container, snippets, and the limits with their messages.
 */
class ChatApiIT {
    static final String SAVE =
            """
            Save the squares:
            ```python
            import json
            json.dump([i * i for i in range(1, 6)], open('squares.json', 'w'))
            print('saved')
            ```""";

    static final String SUM =
            """
            Sum them:
            ```python
            import json
            print(sum(json.load(open('squares.json'))))
            ```""";

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path posts;
    private FakeAnthropicApi fake;
    private TestApp app;

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    private void start(Map<String, String> more) throws Exception {
        fake = new FakeAnthropicApi();
        var env = new HashMap<>(fake.env());
        env.putAll(more);
        Files.writeString(
                posts.resolve("p.md"), "---\ntitle: P\ndate: 2026-12-01\n---\n\nA post.\n");
        app = TestApp.start(posts, env);
    }

    private String create() throws Exception {
        var r = app.post("/api/chat", "{}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("expiresAt").asText()).isNotEmpty();
        assertThat(body.path("limits").path("messages").asInt()).isPositive();
        return body.path("conversation").asText();
    }

    private List<Sse.Event> message(String id, String text) throws Exception {
        return stream("/api/chat/" + id + "/messages", Map.of("message", text));
    }

    private List<Sse.Event> stream(String path, Map<String, String> body) throws Exception {
        var r =
                app.http()
                        .send(
                                app.request(path)
                                        .header("Content-Type", "application/json")
                                        .header("Accept", "text/event-stream")
                                        .POST(
                                                HttpRequest.BodyPublishers.ofString(
                                                        JSON.writeValueAsString(body)))
                                        .build(),
                                HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        return Sse.read(r.body());
    }

    /** The events' names, a run of the same name (text deltas) told once. */
    private static List<String> names(List<Sse.Event> events) {
        var out = new java.util.ArrayList<String>();
        for (Sse.Event e : events) {
            if (out.isEmpty() || !out.get(out.size() - 1).equals(e.name())) {
                out.add(e.name());
            }
        }
        return out;
    }

    private static JsonNode only(List<Sse.Event> events, String name) {
        var matching = events.stream().filter(e -> e.name().equals(name)).toList();
        assertThat(matching).as(name + " in " + names(events)).hasSize(1);
        return matching.get(0).data();
    }

    private static String stdout(List<Sse.Event> events) {
        var out = new StringBuilder();
        events.stream().filter(e -> e.name().equals("stdout")).forEach(e -> out.append(e.text()));
        return out.toString();
    }

    @Test
    void aConversationStreamsAnswersAndTheReaderRerunsClaudesCodeInItsContainer() throws Exception {
        start(Map.of());
        String id = create();

        var first = message(id, SAVE);
        assertThat(names(first))
                .containsExactly("run", "text", "markdown", "artifact", "text", "markdown", "done");
        assertThat(only(first, "run").path("executor").asText()).isEqualTo("anthropic");
        JsonNode a1 = only(first, "artifact");
        assertThat(a1.path("id").asText()).isEqualTo("a1");
        assertThat(a1.path("output").get(0).path("event").asText()).isEqualTo("stdout");
        assertThat(a1.path("output").get(0).path("data").path("text").asText())
                .isEqualTo("saved\n");
        assertThat(
                        first.stream()
                                .filter(e -> e.name().equals("markdown"))
                                .findFirst()
                                .get()
                                .data()
                                .path("html")
                                .asText())
                .isEqualTo("<p><strong>Message 1</strong> of our conversation.</p>");

        var second = message(id, SUM);
        JsonNode a2 = only(second, "artifact");
        assertThat(a2.path("id").asText()).isEqualTo("a2");
        assertThat(a2.path("language").asText()).isEqualTo("python");
        assertThat(a2.path("code").asText())
                .isEqualTo("import json\nprint(sum(json.load(open('squares.json'))))\n");
        assertThat(a2.path("path").asText()).isEqualTo("/tmp/work/step2.py");
        assertThat(a2.path("command").asText()).isEqualTo("cd /tmp/work && python3 step2.py");
        assertThat(a2.path("output").get(0).path("data").path("text").asText()).isEqualTo("55\n");
        String runs = a2.path("runs").asText();
        assertThat(runs).isEqualTo("/api/chat/" + id + "/artifacts/a2/runs");

        // The reader runs Claude's code again, then an edit of it: the file of the first
        // message is still there.
        var again = stream(runs, Map.of("code", a2.path("code").asText()));
        assertThat(names(again).get(0)).isEqualTo("run");
        assertThat(stdout(again)).isEqualTo("55\n");
        assertThat(only(again, "done").path("status").asText()).isEqualTo("ok");
        assertThat(names(again)).doesNotContain("file"); // the unchanged file is not output
        var edited =
                stream(
                        runs,
                        Map.of(
                                "code",
                                "import json\nprint(max(json.load(open('squares.json'))))\n"));
        assertThat(stdout(edited)).isEqualTo("25\n");

        var third = message(id, "What did I ask first?");
        assertThat(only(third, "done").path("status").asText()).isEqualTo("ok");
        assertThat(fake.containerIds()).hasSize(1);
        for (JsonNode body : fake.messageBodies().subList(1, fake.messageBodies().size())) {
            assertThat(body.path("container").asText()).isEqualTo(fake.containerIds().get(0));
        }
        assertThat(fake.violations()).isEmpty();

        var snippet = app.get("/api/chat/" + id + "/answers/2/snippet");
        assertThat(snippet.statusCode()).isEqualTo(200);
        assertThat(snippet.headers().firstValue("Content-Type").orElse(""))
                .startsWith("text/markdown");
        assertThat(snippet.body())
                .contains("lang=python hidden}")
                .contains("print(sum(json.load(open('squares.json'))))");
        assertThat(app.get("/api/chat/" + id + "/answers/9/snippet").statusCode()).isEqualTo(404);

        assertThat(app.delete("/api/chat/" + id).statusCode()).isEqualTo(204);
        var gone =
                app.http()
                        .send(
                                app.request("/api/chat/" + id + "/messages")
                                        .header("Content-Type", "application/json")
                                        .header("Accept", "text/event-stream")
                                        .POST(
                                                HttpRequest.BodyPublishers.ofString(
                                                        "{\"message\":\"hi\"}"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(gone.body()).contains("conversation_not_found");
    }

    @Test
    void claudesMarkdownIsRenderedWithoutItsHtml() throws Exception {
        start(Map.of());
        String id = create();
        message(id, "<img src=x onerror=alert(1)> and [a link](javascript:alert(1))");

        var second = message(id, "What did I ask first?");

        String html = second.get(second.size() - 2).data().path("html").asText();
        assertThat(html).contains("&lt;img src=x onerror=alert(1)&gt;").doesNotContain("<img");
        assertThat(html).doesNotContain("javascript:");
    }

    @Test
    void limitsAreRefusedWithMessagesThatSayWhat() throws Exception {
        start(Map.of("LIVEPOST_CHAT_MAX_MESSAGES", "1"));
        String id = create();
        message(id, "hello");

        var r = app.post("/api/chat/" + id + "/messages", "{\"message\":\"again\"}");
        assertThat(r.statusCode()).isEqualTo(406); // an answer streams: Accept it
        var full =
                app.send(
                        app.request("/api/chat/" + id + "/messages")
                                .header("Content-Type", "application/json")
                                .header("Accept", "text/event-stream")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"x\"}")));
        assertThat(full.statusCode()).isEqualTo(409);
        assertThat(JSON.readTree(full.body()).path("error").path("code").asText())
                .isEqualTo("chat_message_limit");
        assertThat(full.body()).contains("limit of 1 messages");

        String other = create();
        var empty =
                app.send(
                        app.request("/api/chat/" + other + "/messages")
                                .header("Content-Type", "application/json")
                                .header("Accept", "text/event-stream")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\" \"}")));
        assertThat(empty.statusCode()).isEqualTo(400);
        // A conversation's session takes no runs outside the chat API (they would skip its
        // limits).
        var run =
                app.send(
                        app.request("/api/sessions/" + other + "/runs")
                                .header("Content-Type", "application/json")
                                .header("Accept", "text/event-stream")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"x\"}")));
        assertThat(run.statusCode()).isEqualTo(400);
        assertThat(run.body()).contains("conversation_session");
        assertThat(app.get("/api/chat/nope/answers/1/snippet").body())
                .contains("conversation_not_found");
        var unknownArtifact =
                app.send(
                        app.request("/api/chat/" + other + "/artifacts/a7/runs")
                                .header("Content-Type", "application/json")
                                .header("Accept", "text/event-stream")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"code\":\"1\"}")));
        assertThat(unknownArtifact.statusCode()).isEqualTo(404);
        assertThat(unknownArtifact.body()).contains("artifact_not_found");
    }

    @Test
    void aConversationTooLongForClaudeToReadAgainTakesNoNewMessage() throws Exception {
        start(Map.of("LIVEPOST_CHAT_MAX_TOKENS", "1000"));
        String id = create();
        message(id, "hello");

        var refused =
                app.send(
                        app.request("/api/chat/" + id + "/messages")
                                .header("Content-Type", "application/json")
                                .header("Accept", "text/event-stream")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"x\"}")));

        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(JSON.readTree(refused.body()).path("error").path("code").asText())
                .isEqualTo("chat_too_long");
        assertThat(refused.body()).contains("start a new conversation");
        assertThat(fake.messageBodies()).hasSize(1);
    }

    @Test
    void whenTheDailyBudgetIsSpentTheAnswerSaysSo() throws Exception {
        start(Map.of("LIVEPOST_ANTHROPIC_DAILY_BUDGET", "1000"));
        String id = create();
        assertThat(only(message(id, "hello"), "done").path("status").asText()).isEqualTo("ok");

        var refused = message(id, "and again");

        assertThat(names(refused)).containsExactly("run", "error");
        JsonNode error = only(refused, "error");
        assertThat(error.path("code").asText()).isEqualTo("budget_exhausted");
        assertThat(error.path("message").asText()).contains("budget");
        assertThat(fake.messageBodies()).hasSize(1);
    }
}
