package dev.livepost.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.Adversarial;
import dev.livepost.testing.ApiClient;
import dev.livepost.testing.LiveRun;
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
 * The reader's code finds the kernel's protocol channel in its own process and writes well-formed
 * messages to it: a {@code done} for the running run, {@code file}s past every cap with a type of
 * its choosing, {@code notice} and {@code stdout} messages. Every message from a sandbox is
 * untrusted input: a forgery may confuse the reader's own session, never a limit. Effects are
 * measured from the host (CPU time of the sandbox's processes, bytes on the server's disk). Runs
 * end within their time limit (30 s; 5 s for the one that loops).
 */
@Adversarial
class ForgedProtocolIT {
    /** Python: {@code k}, the kernel object that holds the channel and the running run's id. */
    private static final String FIND_KERNEL =
            """
            import base64, gc, os
            k = next(o for o in gc.get_objects() if type(o).__name__ == 'PipeKernel')
            """;

    @TempDir static Path posts;
    static TestApp app;
    static ApiClient api;

    @BeforeAll
    static void start() throws Exception {
        Files.writeString(
                posts.resolve("p.md"),
                """
                ---
                title: t
                date: 2026-01-01
                ---
                ::code-runner{id=a}
                ```python
                print(1)
                ```

                ::code-runner{id=quick timeout=5}
                ```python
                print(1)
                ```
                """);
        app = TestApp.start(posts, Map.of("LIVEPOST_POOL_SIZE", "1"));
        api = new ApiClient(app.base());
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void aForgedDoneEndsTheRunButNothingOutlivesIt() throws Exception {
        String token = api.createSession("p/quick");
        List<Sse.Event> forged =
                api.runCode(
                        token,
                        FIND_KERNEL
                                + """
                                ns = os.readlink('/proc/self/ns/pid')
                                k.channel.send(type='stdout', text=ns)
                                k.channel.send(type='done', id=k.current_id, status='ok', exit=0)
                                while True:  # a core kept busy past the time limit
                                    pass
                                """);
        assertThat(last(forged).data().path("status").asText()).isEqualTo("ok");
        String namespace = stdout(forged);
        List<ProcessHandle> sandbox = Host.inPidNamespace(namespace);
        assertThat(sandbox).as(namespace).isNotEmpty();

        // The server ended the run on the forged done: the sandbox is stopped with it.
        Duration before = Host.cpu(sandbox);
        Thread.sleep(1_000); // a window to measure CPU time in, not a wait for an event
        assertThat(Host.cpu(sandbox).minus(before)).isLessThan(Duration.ofMillis(100));

        // The next run is timed by the server's clock: the loop cannot hold it past its limit,
        // and nothing of the forged run reaches it.
        long start = System.nanoTime();
        List<Sse.Event> next = api.runCode(token, "print('next')");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        assertThat(last(next).name()).isEqualTo("done");
        assertThat(last(next).data().path("status").asText()).isIn("timeout", "killed");
        assertThat(stdout(next)).doesNotContain("pid:");
        Host.awaitExit(sandbox, Duration.ofSeconds(10));
        assertThat(stdout(api.runCode(token, "print('fresh')"))).isEqualTo("fresh\n");
    }

    @Test
    void forgedFilesPassNeitherTheFileCapsNorTheDiskQuotaAndDoNotChooseTheirType()
            throws Exception {
        String token = api.createSession("p/a");
        Path sessions = app.app().config().data().resolve("sessions");
        // 30 files (past the 20 of a run) of HTML named as images and claiming to be HTML, the
        // first 17 of 4 MB (68 MB, past the session's 64 MB on the server's disk).
        String code =
                FIND_KERNEL
                        + """
                        page = b'<html><script>alert(document.cookie)</script></html>'
                        big = base64.b64encode(page + b' ' * (4 << 20)).decode()
                        small = base64.b64encode(page).decode()
                        for i in range(30):
                            data = big if i < 17 else small
                            k.channel.send(type='file', name='plot%d.png' % i, mime='text/html',
                                           data=data, size=len(data) * 3 // 4)
                        print('forged')
                        """;
        for (int run = 0; run < 2; run++) {
            Duration cpu = Host.serverCpu();
            List<Sse.Event> events = api.runCode(token, code);
            System.out.printf(
                    "30 forged files, 68 MB: server CPU %d ms%n",
                    Host.serverCpu().minus(cpu).toMillis());
            assertThat(stdout(events)).as(events.toString()).isEqualTo("forged\n");
            List<Sse.Event> files = named(events, "file");
            assertThat(files).hasSizeLessThanOrEqualTo(20);
            assertThat(named(events, "notice")).isNotEmpty();
            assertThat(Host.filesUnder(sessions)).hasSizeLessThanOrEqualTo(20);
            assertThat(Host.bytesUnder(sessions)).isLessThanOrEqualTo(64L << 20);

            assertThat(files)
                    .allSatisfy(
                            f ->
                                    assertThat(f.data().path("mime").asText())
                                            .isEqualTo("application/octet-stream"));
            var served = app.get(files.get(files.size() - 1).data().path("url").asText());
            assertThat(served.statusCode()).isEqualTo(200);
            assertThat(served.headers().firstValue("Content-Type").orElse(""))
                    .startsWith("application/octet-stream");
            assertThat(served.headers().firstValue("Content-Disposition").orElse(""))
                    .startsWith("attachment");
            assertThat(served.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        }
        assertThat(app.delete("/api/sessions/" + token).statusCode()).isIn(200, 204);
        assertThat(Host.filesUnder(sessions)).isEmpty();
    }

    @Test
    void forgedNoticesAndOutputReachOnlyTheirOwnSession() throws Exception {
        String other = api.createSession("p/a");
        LiveRun bystander =
                api.start(
                        other,
                        "code",
                        "import time\nprint('waiting', flush=True)\ntime.sleep(2)\nprint('done')");
        bystander.awaitStdout("waiting");
        String token = api.createSession("p/a");
        List<Sse.Event> events =
                api.runCode(
                        token,
                        FIND_KERNEL
                                + """
                                k.channel.send(type='notice', message='FORGED: your session expired')
                                k.channel.send(type='stdout', text='FORGED output')
                                """);
        assertThat(events.toString()).contains("FORGED: your session expired", "FORGED output");
        List<Sse.Event> seen = bystander.events(Duration.ofSeconds(20));
        assertThat(stdout(seen)).isEqualTo("waiting\ndone\n");
        assertThat(seen.toString()).doesNotContain("FORGED");
    }

    @Test
    void forgedNoticesCountAgainstTheOutputLimit() {
        String token = api.createSession("p/a");
        List<Sse.Event> events =
                api.runCode(
                        token,
                        FIND_KERNEL
                                + """
                                for i in range(3000):  # 3 MB of notices, past the 1 MB limit
                                    k.channel.send(type='notice', message='%04d ' % i + 'x' * 995)
                                """);
        long noticeBytes =
                named(events, "notice").stream()
                        .mapToLong(e -> e.data().path("message").asText().length())
                        .sum();
        assertThat(noticeBytes).isLessThanOrEqualTo(1L << 20);
    }

    private static List<Sse.Event> named(List<Sse.Event> events, String name) {
        return events.stream().filter(e -> e.name().equals(name)).toList();
    }

    private static String stdout(List<Sse.Event> events) {
        return String.join("", named(events, "stdout").stream().map(Sse.Event::text).toList());
    }

    private static Sse.Event last(List<Sse.Event> events) {
        return events.get(events.size() - 1);
    }
}
