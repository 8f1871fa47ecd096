package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.exec.Sessions;
import dev.livepost.testing.LiveRun;
import dev.livepost.testing.Sse.Event;
import dev.livepost.testing.TestApp;
import java.io.IOException;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /api/sessions/{token}/stdin} and the {@code input} event, on the real server and the
 * real local sandbox: {@code input()}, {@code sys.stdin.readline()} and a child process reading its
 * stdin, EOF, and the refusals (bad body, no run, the per-run cap, cross-site rules).
 */
class StdinIT {
    private static final String POST =
            """
            ---
            title: Stdin test
            date: 2026-01-01
            ---
            ::code-runner{id=ask}
            ```python
            print(input("Name? "))
            ```
            """;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir static Path posts;
    static TestApp app;
    static final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws IOException {
        Files.writeString(posts.resolve("stdin.md"), POST);
        app = TestApp.start(posts, Map.of("LIVEPOST_POOL_SIZE", "2"));
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void inputWaitsForTheReaderAndGetsTheLine() throws Exception {
        String token = session();
        LiveRun run = start(token, "name = input('Name? ')\nprint('hello', name)");
        Event asked = run.await(e -> e.name().equals("input"), WAIT);
        assertThat(asked.data().path("prompt").asText()).isEqualTo("Name? ");
        var sent = stdin(token, "{\"text\":\"Ada\\n\"}");
        assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);
        List<Event> events = run.events(WAIT);
        assertThat(stdout(events)).isEqualTo("Name? hello Ada\n");
        assertThat(last(events).data().path("status").asText()).isEqualTo("ok");
        // The prompt reached the reader before the request for input.
        int prompt = indexOf(events, e -> e.name().equals("stdout") && e.text().contains("Name?"));
        assertThat(prompt).isLessThan(indexOf(events, e -> e.name().equals("input")));
    }

    @Test
    void readlineAsksOncePerLineAndEofEndsTheInput() throws Exception {
        String token = session();
        LiveRun run =
                start(
                        token,
                        "import sys\n"
                                + "a = sys.stdin.readline()\n"
                                + "b = sys.stdin.readline()\n"
                                + "print(repr(a), repr(b))");
        run.await(e -> e.name().equals("input"), WAIT);
        assertThat(stdin(token, "{\"text\":\"one\\n\"}").statusCode()).isEqualTo(202);
        run.await(inputNumber(2), WAIT);
        assertThat(stdin(token, "{\"eof\":true}").statusCode()).isEqualTo(202);
        List<Event> events = run.events(WAIT);
        assertThat(stdout(events)).isEqualTo("'one\\n' ''\n");
        assertThat(events.stream().filter(e -> e.name().equals("input")).count()).isEqualTo(2);
    }

    @Test
    void aChildProcessReadingStdinIsAskedForInput() throws Exception {
        String token = session();
        LiveRun run =
                start(
                        token,
                        "import subprocess\n"
                                + "subprocess.run(['/usr/bin/python3', '-c',"
                                + " 'import sys; print(\"child got\", sys.stdin.read().split())'])");
        run.await(e -> e.name().equals("input"), WAIT);
        assertThat(stdin(token, "{\"text\":\"x y\\n\",\"eof\":true}").statusCode()).isEqualTo(202);
        List<Event> events = run.events(WAIT);
        assertThat(stdout(events)).isEqualTo("child got ['x', 'y']\n");
    }

    @Test
    void inputLeftOverFromARunDoesNotReachTheNext() throws Exception {
        String token = session();
        LiveRun run = start(token, "print('first', input())");
        run.await(e -> e.name().equals("input"), WAIT);
        stdin(token, "{\"text\":\"a\\nleft over\\n\"}");
        assertThat(stdout(run.events(WAIT))).isEqualTo("first a\n");
        LiveRun next = start(token, "print('second', input())");
        next.await(e -> e.name().equals("input"), WAIT);
        stdin(token, "{\"text\":\"b\\n\"}");
        assertThat(stdout(next.events(WAIT))).isEqualTo("second b\n");
    }

    @Test
    void stopEndsARunWaitingForInput() throws Exception {
        String token = session();
        LiveRun run = start(token, "input()");
        run.await(e -> e.name().equals("input"), WAIT);
        assertThat(app.post("/api/sessions/" + token + "/interrupt", "{}").statusCode())
                .isEqualTo(202);
        assertThat(last(run.events(WAIT)).data().path("status").asText()).isEqualTo("interrupted");
    }

    @Test
    void malformedBodiesAreRefused() throws Exception {
        String token = session();
        for (String body : List.of("{}", "{\"text\":5}", "{\"eof\":\"yes\"}", "{\"eof\":false}")) {
            var r = stdin(token, body);
            assertThat(r.statusCode()).as(body).isEqualTo(400);
            assertThat(error(r)).as(body).isEqualTo("invalid_stdin");
        }
        assertThat(error(stdin(token, "[1]"))).isEqualTo("invalid_json");
    }

    @Test
    void withoutARunThereIsNothingToReadIt() throws Exception {
        var r = stdin(session(), "{\"text\":\"x\\n\"}");
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(error(r)).isEqualTo("no_run");
        var unknown = stdin("0".repeat(32), "{\"text\":\"x\\n\"}");
        assertThat(unknown.statusCode()).isEqualTo(404);
    }

    @Test
    void aRunTakesAtMostTheCapOfInput() throws Exception {
        String token = session();
        LiveRun run = start(token, "import sys\nprint(len(sys.stdin.read()))");
        run.await(e -> e.name().equals("input"), WAIT);
        String half = "x".repeat(Sessions.STDIN_BYTES_PER_RUN / 2);
        assertThat(stdin(token, json.writeValueAsString(Map.of("text", half))).statusCode())
                .isEqualTo(202);
        var over = stdin(token, json.writeValueAsString(Map.of("text", half + "y")));
        assertThat(over.statusCode()).isEqualTo(413);
        assertThat(error(over)).isEqualTo("stdin_too_large");
        // What fits still goes through, and EOF always does.
        assertThat(stdin(token, json.writeValueAsString(Map.of("text", half))).statusCode())
                .isEqualTo(202);
        assertThat(stdin(token, "{\"eof\":true}").statusCode()).isEqualTo(202);
        assertThat(stdout(run.events(WAIT))).isEqualTo(Sessions.STDIN_BYTES_PER_RUN + "\n");
    }

    @Test
    void crossSiteRulesAreThoseOfTheOtherJsonCalls() throws Exception {
        String token = session();
        var form =
                app.send(
                        app.request("/api/sessions/" + token + "/stdin")
                                .header("Content-Type", "text/plain")
                                .POST(BodyPublishers.ofString("{\"text\":\"x\"}")));
        assertThat(form.statusCode()).isEqualTo(415);
        var foreign =
                app.send(
                        app.request("/api/sessions/" + token + "/stdin")
                                .header("Content-Type", "application/json")
                                .header("Origin", "https://evil.example")
                                .POST(BodyPublishers.ofString("{\"text\":\"x\"}")));
        assertThat(foreign.statusCode()).isEqualTo(403);
    }

    private static String session() throws Exception {
        var r = app.post("/api/sessions", "{\"artifact\":\"stdin/ask\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return json.readTree(r.body()).path("session").asText();
    }

    private static LiveRun start(String token, String code) throws Exception {
        return LiveRun.start(
                app.http(),
                app.request("/api/sessions/" + token + "/runs")
                        .header("Content-Type", "application/json")
                        .header("Accept", "text/event-stream")
                        .POST(
                                BodyPublishers.ofString(
                                        json.writeValueAsString(Map.of("code", code))))
                        .build());
    }

    private static HttpResponse<String> stdin(String token, String body) throws Exception {
        return app.post("/api/sessions/" + token + "/stdin", body);
    }

    private static java.util.function.Predicate<Event> inputNumber(int n) {
        int[] seen = {0};
        return e -> e.name().equals("input") && ++seen[0] == n;
    }

    private static String error(HttpResponse<String> r) throws IOException {
        JsonNode body = json.readTree(r.body());
        return body.path("error").path("code").asText();
    }

    private static String stdout(List<Event> events) {
        return events.stream()
                .filter(e -> e.name().equals("stdout"))
                .map(Event::text)
                .collect(Collectors.joining());
    }

    private static Event last(List<Event> events) {
        return events.get(events.size() - 1);
    }

    private static int indexOf(List<Event> events, java.util.function.Predicate<Event> p) {
        for (int i = 0; i < events.size(); i++) {
            if (p.test(events.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
