package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.testing.LiveRun;
import dev.livepost.testing.Sse.Event;
import dev.livepost.testing.TestApp;
import java.io.IOException;
import java.net.http.HttpRequest.BodyPublishers;
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
 * {@code lang=javascript}, {@code lang=bash}, {@code lang=sql} and {@code lang=java} artifacts
 * through the HTTP API, on the real server and the real local sandbox: output, streaming, state
 * across runs, error status, interrupt and the time limit, for each language.
 */
class LanguagesIT {
    private static final String POST =
            """
            ---
            title: Languages test
            date: 2026-01-01
            ---
            ::code-runner{id=js timeout=3}
            ```js
            1 + 1
            ```

            ::code-runner{id=sh timeout=3}
            ```bash
            echo hi
            ```

            ::code-runner{id=db timeout=3}
            ```sql
            select 1;
            ```

            ::code-runner{id=jv timeout=5}
            ```java
            1 + 1
            ```

            ::code-runner{id=other lang=ruby}
            ```ruby
            puts 1
            ```
            """;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir static Path posts;
    static TestApp app;
    static final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws IOException {
        Files.writeString(posts.resolve("langs.md"), POST);
        app = TestApp.start(posts, Map.of("LIVEPOST_POOL_SIZE", "1"));
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void javascriptKeepsStateDisplaysTheLastValueAndAwaitsAtTopLevel() throws Exception {
        String token = session("js");
        List<Event> first =
                run(
                        token,
                        "const base = 40;\nfunction twice(n) { return 2 * n }\n"
                                + "console.log('hello');\nconsole.error('careful');\nbase + 2");
        assertThat(text(first, "stdout")).isEqualTo("hello\n");
        assertThat(text(first, "stderr")).isEqualTo("careful\n");
        assertThat(displays(first)).containsExactly("42");
        assertThat(done(first).path("status").asText()).isEqualTo("ok");

        // Declarations persist; a re-run may declare a const again; top-level await works.
        List<Event> second =
                run(
                        token,
                        "const base = 1;\nconst v = await new Promise(r => setTimeout(() =>"
                                + " r(twice(base)), 10));\nv");
        assertThat(displays(second)).containsExactly("2");
        assertThat(done(second).path("status").asText()).isEqualTo("ok");
    }

    @Test
    void javascriptErrorsAreStderrWithStatusError() throws Exception {
        String token = session("js");
        List<Event> events = run(token, "function f() { throw new TypeError('no way') }\nf()");
        assertThat(text(events, "stderr")).contains("TypeError: no way").contains("run-1.js:1");
        assertThat(done(events).path("status").asText()).isEqualTo("error");
        assertThat(done(events).path("exitCode").asInt()).isEqualTo(1);
    }

    @Test
    void javascriptStreamsAndIsInterrupted() throws Exception {
        String token = session("js");
        run(token, "let kept = 'still here'");
        LiveRun busy = start(token, "console.log('spinning');\nwhile (true) {}");
        busy.await(e -> e.name().equals("stdout") && e.text().equals("spinning\n"), WAIT);
        assertThat(app.post("/api/sessions/" + token + "/interrupt", "{}").statusCode())
                .isEqualTo(202);
        assertThat(done(busy.events(WAIT)).path("status").asText()).isEqualTo("interrupted");
        // An awaited promise is interrupted too, and the session lives on.
        LiveRun waiting =
                start(token, "console.log('waiting');\nawait new Promise(r => setTimeout(r, 1e6))");
        waiting.await(e -> e.name().equals("stdout"), WAIT);
        app.post("/api/sessions/" + token + "/interrupt", "{}");
        assertThat(done(waiting.events(WAIT)).path("status").asText()).isEqualTo("interrupted");
        List<Event> kept = run(token, "kept");
        assertThat(displays(kept)).as(kept.toString()).containsExactly("'still here'");
    }

    @Test
    void javascriptWaitingOnAPromiseIsInterruptedWithoutASignal() throws Exception {
        // A SIGINT that lands as vm enters or leaves a run kills node: a run that waits gets none.
        String token = session("js");
        run(token, "let signals = 0; process.on('SIGINT', () => signals++)");
        for (int i = 0; i < 3; i++) {
            LiveRun waiting =
                    start(
                            token,
                            "console.log('waiting');\nawait new Promise(r => setTimeout(r, 1e6))");
            waiting.await(e -> e.name().equals("stdout"), WAIT);
            app.post("/api/sessions/" + token + "/interrupt", "{}");
            assertThat(done(waiting.events(WAIT)).path("status").asText()).isEqualTo("interrupted");
        }
        List<Event> signals = run(token, "signals");
        assertThat(displays(signals)).as(signals.toString()).containsExactly("0");
    }

    @Test
    void javascriptPastTheTimeLimitTimesOut() throws Exception {
        String token = session("js");
        List<Event> events = run(token, "while (true) {}");
        assertThat(done(events).path("status").asText()).isEqualTo("timeout");
    }

    @Test
    void bashKeepsVariablesFunctionsAndTheFolder() throws Exception {
        String token = session("sh");
        List<Event> first =
                run(
                        token,
                        "greeting=hello\ngreet() { echo \"$greeting, $1\"; }\n"
                                + "mkdir -p data && cd data\necho made > note.txt\necho oops >&2");
        assertThat(text(first, "stderr")).isEqualTo("oops\n");
        assertThat(done(first).path("status").asText()).isEqualTo("ok");
        assertThat(first)
                .anyMatch(
                        e ->
                                e.name().equals("file")
                                        && e.data().path("name").asText().equals("note.txt"));
        List<Event> second = run(token, "greet reader\npwd\ncat note.txt");
        assertThat(text(second, "stdout")).isEqualTo("hello, reader\n/work/data\nmade\n");
    }

    @Test
    void bashReportsTheLastCommandsStatus() throws Exception {
        String token = session("sh");
        List<Event> events = run(token, "echo before\ngrep -q nothing /dev/null");
        assertThat(text(events, "stdout")).isEqualTo("before\n");
        assertThat(done(events).path("status").asText()).isEqualTo("error");
        assertThat(done(events).path("exitCode").asInt()).isEqualTo(1);
        List<Event> missing = run(token, "no-such-command");
        assertThat(text(missing, "stderr")).contains("no-such-command: command not found");
        assertThat(done(missing).path("exitCode").asInt()).isEqualTo(127);
    }

    @Test
    void bashStreamsAndIsInterruptedWithoutLosingTheShell() throws Exception {
        String token = session("sh");
        run(token, "kept=yes");
        LiveRun slow = start(token, "echo first\nsleep 30\necho never");
        slow.await(e -> e.name().equals("stdout") && e.text().equals("first\n"), WAIT);
        app.post("/api/sessions/" + token + "/interrupt", "{}");
        List<Event> events = slow.events(WAIT);
        assertThat(done(events).path("status").asText()).isEqualTo("interrupted");
        assertThat(text(events, "stdout")).isEqualTo("first\n");
        // A loop of builtins only is interrupted too.
        LiveRun loop = start(token, "echo looping\nwhile :; do :; done");
        loop.await(e -> e.name().equals("stdout"), WAIT);
        app.post("/api/sessions/" + token + "/interrupt", "{}");
        assertThat(done(loop.events(WAIT)).path("status").asText()).isEqualTo("interrupted");
        assertThat(text(run(token, "echo $kept"), "stdout")).isEqualTo("yes\n");
    }

    @Test
    void bashReadsTheReadersInput() throws Exception {
        String token = session("sh");
        LiveRun asking = start(token, "read -r name\necho \"hi $name\"");
        asking.await(e -> e.name().equals("input"), WAIT);
        app.post("/api/sessions/" + token + "/stdin", "{\"text\":\"Ada\\n\"}");
        assertThat(text(asking.events(WAIT), "stdout")).isEqualTo("hi Ada\n");
    }

    @Test
    void bashPastTheTimeLimitTimesOut() throws Exception {
        String token = session("sh");
        List<Event> events = run(token, "sleep 20");
        assertThat(done(events).path("status").asText()).isEqualTo("timeout");
        assertThat(text(run(token, "echo alive"), "stdout")).isEqualTo("alive\n");
    }

    @Test
    void sqlShowsEachStatementsRowsAndKeepsTheDatabase() throws Exception {
        String token = session("db");
        List<Event> first =
                run(
                        token,
                        "create table t(name text, n int);\n"
                                + "insert into t values ('a', 1), ('b', NULL);\n"
                                + "select * from t order by name;\n"
                                + "select count(*) as c from t;");
        assertThat(done(first).path("status").asText()).isEqualTo("ok");
        List<Event> tables = first.stream().filter(e -> e.name().equals("display")).toList();
        assertThat(tables).hasSize(2);
        assertThat(tables.get(0).data().path("mime").path("text/html").asText())
                .contains("<th>name</th>")
                .contains("<td>NULL</td>");
        assertThat(tables.get(1).data().path("mime").path("text/plain").asText())
                .isEqualTo("c\n-\n2");
        // The database file is the kernel's, not a generated file of the run.
        assertThat(first).noneMatch(e -> e.name().equals("file"));
        assertThat(displays(run(token, "select sum(n) as total from t")))
                .containsExactly("total\n-----\n1");
    }

    @Test
    void sqlErrorsNameTheStatementsLine() throws Exception {
        String token = session("db");
        List<Event> events =
                run(token, "select 1 as one;\n\n-- a comment\nselect nope from nowhere;");
        assertThat(displays(events)).hasSize(1);
        assertThat(text(events, "stderr"))
                .isEqualTo("Error in the statement at line 4: no such table: nowhere\n");
        assertThat(done(events).path("status").asText()).isEqualTo("error");
    }

    @Test
    void sqlStreamsAndIsInterrupted() throws Exception {
        String token = session("db");
        LiveRun slow =
                start(
                        token,
                        "select 'early' as first;\n"
                                + "with recursive c(x) as (select 1 union all select x + 1 from c)"
                                + " select count(*) from c;");
        slow.await(e -> e.name().equals("display"), WAIT);
        app.post("/api/sessions/" + token + "/interrupt", "{}");
        assertThat(done(slow.events(WAIT)).path("status").asText()).isEqualTo("interrupted");
        assertThat(done(run(token, "select 1")).path("status").asText()).isEqualTo("ok");
    }

    @Test
    void sqlPastTheTimeLimitTimesOut() throws Exception {
        String token = session("db");
        List<Event> events =
                run(
                        token,
                        "with recursive c(x) as (select 1 union all select x + 1 from c)"
                                + " select count(*) from c;");
        assertThat(done(events).path("status").asText()).isEqualTo("timeout");
    }

    @Test
    void javaKeepsDeclarationsAndDisplaysTheLastExpression() throws Exception {
        String token = session("jv");
        List<Event> first =
                run(
                        token,
                        "record Point(int x, int y) {}\nint twice(int n) { return 2 * n; }\n"
                                + "var p = new Point(20, 1);\nSystem.out.println(\"hello\");\n"
                                + "System.err.println(\"careful\");\ntwice(p.x()) + p.y() + 1");
        assertThat(text(first, "stdout")).isEqualTo("hello\n");
        assertThat(text(first, "stderr")).isEqualTo("careful\n");
        assertThat(displays(first)).containsExactly("42");
        assertThat(done(first).path("status").asText()).isEqualTo("ok");
        // A declaration may be made again; the others persist.
        List<Event> second = run(token, "var p = new Point(1, 2);\nList.of(twice(p.x()), p.y())");
        assertThat(displays(second)).containsExactly("[2, 2]");
    }

    @Test
    void javaErrorsNameTheirLineWithStatusError() throws Exception {
        String token = session("jv");
        List<Event> compile = run(token, "int a = 1;\nString s = a;");
        assertThat(text(compile, "stderr"))
                .startsWith("run-1.java:2: error: incompatible types")
                .contains("String s = a;");
        assertThat(done(compile).path("status").asText()).isEqualTo("error");
        List<Event> thrown = run(token, "int f(int n) {\n  return 10 / n;\n}\n\nf(0)");
        assertThat(text(thrown, "stderr"))
                .isEqualTo(
                        "java.lang.ArithmeticException: / by zero\n"
                                + "\tat f (run-2.java:2)\n"
                                + "\tat run-2.java:5\n");
        assertThat(done(thrown).path("status").asText()).isEqualTo("error");
    }

    @Test
    void javaStreamsAndIsInterrupted() throws Exception {
        String token = session("jv");
        run(token, "String kept = \"still here\";");
        LiveRun busy = start(token, "System.out.println(\"spinning\");\nwhile (true) {}");
        busy.await(e -> e.name().equals("stdout") && e.text().equals("spinning\n"), WAIT);
        app.post("/api/sessions/" + token + "/interrupt", "{}");
        assertThat(done(busy.events(WAIT)).path("status").asText()).isEqualTo("interrupted");
        assertThat(displays(run(token, "kept"))).containsExactly("\"still here\"");
    }

    @Test
    void javaPastTheTimeLimitTimesOut() throws Exception {
        String token = session("jv");
        List<Event> events = run(token, "Thread.sleep(60_000);");
        assertThat(done(events).path("status").asText()).isEqualTo("timeout");
        assertThat(displays(run(token, "1 + 2"))).containsExactly("3");
    }

    @Test
    void anUnknownLanguageIsAVisibleErrorNotARunner() throws Exception {
        var page = app.get("/posts/langs");
        assertThat(page.body()).contains("lang=ruby cannot run");
        var r = app.post("/api/sessions", "{\"artifact\":\"langs/other\"}");
        assertThat(r.statusCode()).isBetween(400, 499);
    }

    private static String session(String id) throws Exception {
        var r = app.post("/api/sessions", "{\"artifact\":\"langs/" + id + "\"}");
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

    private static List<Event> run(String token, String code) throws Exception {
        return start(token, code).events(WAIT);
    }

    private static String text(List<Event> events, String name) {
        return events.stream()
                .filter(e -> e.name().equals(name))
                .map(Event::text)
                .collect(Collectors.joining());
    }

    private static List<String> displays(List<Event> events) {
        return events.stream()
                .filter(e -> e.name().equals("display"))
                .map(e -> e.data().path("mime").path("text/plain").asText())
                .toList();
    }

    private static com.fasterxml.jackson.databind.JsonNode done(List<Event> events) {
        Event last = events.get(events.size() - 1);
        assertThat(last.name()).as(events.toString()).isEqualTo("done");
        return last.data();
    }
}
