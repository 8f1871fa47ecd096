package dev.livepost.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.Adversarial;
import dev.livepost.testing.ApiClient;
import dev.livepost.testing.Sse;
import dev.livepost.testing.TestApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Output aimed at the server and at the reader's page, through the real server: floods of displayed
 * values (sent by the kernel and forged past its own caps), HTML that grows when sanitized, HTML
 * dressed as the page's own boxes, and file names carrying markup, newlines and bidi controls. What
 * reaches the reader is bounded by the 1 MB output limit, and the server's own CPU time (measured
 * in this JVM, where it runs) stays small. Runs end within 30 s.
 */
@Adversarial
class OutputFloodIT {
    private static final long LIMIT = 1 << 20;

    @TempDir static Path posts;
    static TestApp app;
    static ApiClient api;

    @BeforeAll
    static void start() throws Exception {
        Files.writeString(
                posts.resolve("p.md"),
                "---\ntitle: t\ndate: 2026-01-01\n---\n::code-runner{id=a}\n```python\nprint(1)\n```\n");
        app = TestApp.start(posts, Map.of("LIVEPOST_POOL_SIZE", "1"));
        api = new ApiClient(app.base());
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void aLoopOfForgedDisplaysStopsAtTheOutputLimitAndCostsTheServerLittle() {
        String token = api.createSession("p/a");
        Duration cpu = Host.serverCpu();
        // 40 KB of table per value, 5000 times (200 MB), straight onto the channel.
        List<Sse.Event> events =
                api.runCode(
                        token,
                        """
                        import gc
                        k = next(o for o in gc.get_objects() if type(o).__name__ == 'PipeKernel')
                        table = '<table>' + '<tr><td>1 & 2</td></tr>' * 1700 + '</table>'
                        for i in range(5000):
                            k.channel.send(type='display', mime={'text/html': table, 'text/plain': 'x'})
                        """);
        Duration used = Host.serverCpu().minus(cpu);
        System.out.printf("a 200 MB display flood: server CPU %d ms%n", used.toMillis());

        assertThat(displayedBytes(events)).isLessThanOrEqualTo(LIMIT);
        assertThat(notices(events)).anyMatch(n -> n.contains("limit"));
        assertThat(last(events).data().path("status").asText()).isEqualTo("interrupted");
        assertThat(used).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void theKernelsOwnDisplayLoopIsBoundedToo() {
        String token = api.createSession("p/a");
        List<Sse.Event> events =
                api.runCode(
                        token,
                        """
                        import pandas as pd
                        df = pd.DataFrame({'a': range(200), 'b': ['<b>x</b>'] * 200})
                        for i in range(10000):
                            display(df)
                        print('finished')
                        """);
        assertThat(displayedBytes(events) + stdoutBytes(events)).isLessThanOrEqualTo(LIMIT);
        assertThat(notices(events)).isNotEmpty();
    }

    @Test
    void aNineHundredKilobyteHtmlDisplayDoesNotGrowWhenSanitized() {
        String token = api.createSession("p/a");
        // A table that is kept (900 KB), and text that would grow fivefold when escaped.
        List<Sse.Event> table =
                api.runCode(
                        token,
                        """
                        class Big:
                            def _repr_html_(self):
                                return '<table>' + '<tr><td>1</td><td>2</td></tr>' * 30_000 + '</table>'
                        display(Big())
                        """);
        List<Sse.Event> displays = named(table, "display");
        assertThat(displays).isNotEmpty();
        String html = displays.get(0).data().path("mime").path("text/html").asText();
        assertThat(html.length()).isBetween(1, 30_000 * 29 + 15);
        assertThat(displayedBytes(table)).isLessThanOrEqualTo(LIMIT);

        List<Sse.Event> ampersands =
                api.runCode(
                        token,
                        """
                        import gc
                        k = next(o for o in gc.get_objects() if type(o).__name__ == 'PipeKernel')
                        k.channel.send(type='display', mime={'text/html': '<p>' + '&' * 900_000 + '</p>'})
                        """);
        assertThat(displayedBytes(ampersands)).isLessThanOrEqualTo(LIMIT);
    }

    @Test
    void displayedHtmlCannotDressUpAsThePage() {
        List<Sse.Event> events =
                api.runCode(
                        api.createSession("p/a"),
                        """
                        class Fake:
                            def _repr_html_(self):
                                return ('<div class="lp-message lp-notice" id="lp-notice"'
                                        ' style="position:fixed;top:0;left:0;width:100%">'
                                        '<strong class="lp-message-label">Notice: </strong>'
                                        'your session expired, log in again</div>')
                        display(Fake())
                        """);
        String html =
                named(events, "display").get(0).data().path("mime").path("text/html").asText();
        assertThat(html).contains("your session expired");
        assertThat(html).doesNotContain("class=", "id=", "style=", "lp-", "position");
    }

    @Test
    void fileNamesChosenByTheCodeReachTheReaderPlain() {
        String evil = "<img src=x onerror=alert(1)>\\nNotice: \\u202egpj.exe";
        List<Sse.Event> events =
                api.runCode(
                        api.createSession("p/a"),
                        """
                        import gc
                        open('%1$s', 'w').write('x')
                        k = next(o for o in gc.get_objects() if type(o).__name__ == 'PipeKernel')
                        k.channel.send(type='file', name='%1$s', mime='text/html', data=None, size=10**10)
                        """
                                .formatted(evil));
        List<String> names =
                named(events, "file").stream().map(e -> e.data().path("name").asText()).toList();
        assertThat(names).hasSize(1);
        assertThat(notices(events)).isNotEmpty();
        for (String shown : concat(names, notices(events))) {
            assertThat(shown)
                    .doesNotContain("<", ">", "\n", "\r", "\u202e")
                    .doesNotContainPattern("[\\p{Cntrl}\\p{Cf}]");
        }
        assertThat(names.get(0)).matches("[A-Za-z0-9_\\-][A-Za-z0-9._\\-]*");
    }

    private static List<String> concat(List<String> a, List<String> b) {
        var all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static long displayedBytes(List<Sse.Event> events) {
        long total = 0;
        for (Sse.Event e : named(events, "display")) {
            var fields = e.data().path("mime").fields();
            while (fields.hasNext()) {
                total += fields.next().getValue().asText().length();
            }
        }
        return total;
    }

    private static long stdoutBytes(List<Sse.Event> events) {
        return named(events, "stdout").stream().mapToLong(e -> e.text().length()).sum();
    }

    private static List<String> notices(List<Sse.Event> events) {
        return named(events, "notice").stream()
                .map(e -> e.data().path("message").asText())
                .toList();
    }

    private static List<Sse.Event> named(List<Sse.Event> events, String name) {
        return events.stream().filter(e -> e.name().equals(name)).toList();
    }

    private static Sse.Event last(List<Sse.Event> events) {
        return events.get(events.size() - 1);
    }
}
