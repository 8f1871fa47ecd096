package dev.livepost.exec.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.App;
import dev.livepost.Config;
import dev.livepost.blog.Artifact;
import dev.livepost.blog.Post;
import dev.livepost.testing.ApiClient;
import dev.livepost.testing.Sse.Event;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every artifact of the bundled sample posts, run over HTTP on a server started with {@code
 * --executor anthropic} against {@link FakeAnthropic}, gives what the same artifact gives on a
 * server with the local executor. Code mode differs from the local executor in one known way:
 * stdout arrives in one piece when the run ends, so the comparison is on the whole text.
 */
class AnthropicSamplePostsIT {
    @TempDir static Path dir;
    static FakeAnthropic fake;
    static App anthropic;
    static App local;
    static ApiClient onAnthropic;
    static ApiClient onLocal;

    @BeforeAll
    static void start() {
        fake = new FakeAnthropic();
        anthropic =
                app(
                        "anthropic",
                        Map.of(
                                "ANTHROPIC_API_KEY",
                                FakeAnthropic.KEY,
                                "ANTHROPIC_BASE_URL",
                                fake.baseUrl().toString()));
        local = app("local", Map.of("LIVEPOST_POOL_SIZE", "1"));
        onAnthropic = new ApiClient("http://127.0.0.1:" + anthropic.start());
        onLocal = new ApiClient("http://127.0.0.1:" + local.start());
    }

    private static App app(String executor, Map<String, String> env) {
        return new App(
                Config.parse(
                        List.of(
                                "--executor",
                                executor,
                                "--port",
                                "0",
                                "--posts",
                                Path.of("posts").toAbsolutePath().toString(),
                                "--data",
                                dir.resolve(executor).toString()),
                        withoutPrecompute(env),
                        Path.of(".")));
    }

    /** No background precompute: its runs would be extra API calls and sandboxes here. */
    private static Map<String, String> withoutPrecompute(Map<String, String> env) {
        var all = new java.util.HashMap<>(env);
        all.put("LIVEPOST_PRECOMPUTE", "false");
        return all;
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {anthropic, local, fake}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * What a code run shows the reader, up to the known differences: notices (a new kernel or
     * container) are left out, and consecutive stdout or stderr events count as one.
     */
    record Shown(
            List<String> kinds,
            String stdout,
            boolean stderr,
            List<TreeSet<String>> displays,
            List<String> files,
            String status) {
        static Shown of(List<Event> events) {
            var kinds = new ArrayList<String>();
            var stdout = new StringBuilder();
            var displays = new ArrayList<TreeSet<String>>();
            var files = new ArrayList<String>();
            boolean stderr = false;
            String status = null;
            for (Event e : events) {
                switch (e.name()) {
                    case "notice":
                        continue;
                    case "stdout":
                        stdout.append(e.text());
                        break;
                    case "stderr":
                        stderr = true;
                        break;
                    case "display":
                        var keys = new TreeSet<String>();
                        e.data().path("mime").fieldNames().forEachRemaining(keys::add);
                        displays.add(keys);
                        break;
                    case "file":
                        files.add(
                                e.data().path("name").asText()
                                        + " "
                                        + e.data().path("mime").asText());
                        break;
                    case "done":
                        status = e.data().path("status").asText();
                        break;
                    default:
                        break;
                }
                boolean repeat =
                        !kinds.isEmpty()
                                && kinds.get(kinds.size() - 1).equals(e.name())
                                && (e.name().equals("stdout") || e.name().equals("stderr"));
                if (!repeat) {
                    kinds.add(e.name());
                }
            }
            return new Shown(kinds, stdout.toString(), stderr, displays, files, status);
        }
    }

    private static List<Artifact> artifacts(boolean prompt) {
        var all = new ArrayList<Artifact>();
        for (Post post : anthropic.blog().posts()) {
            for (Artifact a : post.artifacts()) {
                // precompute=false marks output that differs on every run (random numbers): no
                // two runs agree, whichever executor makes them.
                // The anthropic executor runs Python; the other languages are the local one's.
                if (a.prompt() == prompt
                        && (prompt || (a.precompute() && a.lang().equals("python")))) {
                    all.add(a);
                }
            }
        }
        return all;
    }

    @Test
    void everyCodeArtifactShowsWhatItShowsOnTheLocalExecutor() {
        var compared = new java.util.LinkedHashMap<String, Shown>();
        for (Artifact a : artifacts(false)) {
            // Twice in one session, as a reader pressing Run again: the second run sees the
            // state the first left behind (the counter artifact counts on it).
            String there = onAnthropic.createSession(a.address());
            String here = onLocal.createSession(a.address());
            for (int run = 1; run <= 2; run++) {
                var thereEvents = onAnthropic.runCode(there, a.code());
                var hereEvents = onLocal.runCode(here, a.code());

                String what = a.address() + " run " + run;
                assertThat(thereEvents.get(0).data().path("executor").asText())
                        .isEqualTo("anthropic");
                assertThat(hereEvents.get(0).data().path("executor").asText()).isEqualTo("local");
                Shown expected = Shown.of(hereEvents);
                assertThat(expected.status()).as(what + " locally: " + hereEvents).isEqualTo("ok");
                assertThat(Shown.of(thereEvents))
                        .as(what + " on anthropic: " + thereEvents + "\nlocally: " + hereEvents)
                        .isEqualTo(expected);
                compared.put(a.address() + "#" + run, expected);
            }
        }
        assertThat(compared).hasSize(24);
        // What was compared is the real thing, not two empty runs.
        assertThat(compared.get("interactive-artifacts/fib#1").stdout())
                .isEqualTo("0\n1\n1\n2\n3\n5\n8\n13\n21\n34\n55\n89\n144\n233\n377\n");
        assertThat(compared.get("interactive-artifacts/visits#2").stdout())
                .isEqualTo("This session has run the code 2 time(s).\n");
        assertThat(compared.get("pandas-tables/weekend#1").kinds())
                .containsExactly("run", "stdout", "display", "done");
        assertThat(compared.get("pandas-tables/weekend#1").displays().get(0))
                .contains("text/html", "text/plain");
        assertThat(compared.get("telling-time-worksheet/worksheet#1").files())
                .contains("telling-time.pdf application/pdf");
        assertThat(compared.get("interactive-artifacts/waves#1").files())
                .anySatisfy(f -> assertThat(f).endsWith(" image/png"));
        assertThat(fake.violations).isEmpty();
    }

    @Test
    void everyPromptArtifactSaysRunsAndShowsTheOutput() {
        var ran = new ArrayList<String>();
        for (Artifact a : artifacts(true)) {
            var events = onAnthropic.runPrompt(onAnthropic.createSession(a.address()), a.code());

            var names = ApiClient.names(events);
            assertThat(names).as(a.address() + ": " + events).startsWith("run", "text");
            int code = names.indexOf("code");
            assertThat(code).as(a.address() + ": " + events).isPositive();
            assertThat(names.subList(code + 1, names.size() - 1))
                    .as(a.address() + " output after the code: " + events)
                    .contains("stdout");
            var done = events.get(events.size() - 1);
            assertThat(done.name()).isEqualTo("done");
            assertThat(done.data().path("status").asText()).isEqualTo("ok");
            ran.add(a.address());
        }
        assertThat(ran).containsExactly("ask-claude/dice", "ask-claude/times-table");
        // The spreadsheet request asked for the xlsx skill; the container request carries it.
        assertThat(fake.messageRequests())
                .filteredOn(r -> r.body().toString().contains("Excel workbook"))
                .isNotEmpty()
                .allSatisfy(
                        r ->
                                assertThat(r.body().path("container").path("skills").toString())
                                        .contains("\"skill_id\":\"xlsx\""));
        assertThat(fake.violations).isEmpty();
    }
}
