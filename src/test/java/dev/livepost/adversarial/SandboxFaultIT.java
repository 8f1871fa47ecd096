package dev.livepost.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.App;
import dev.livepost.Config;
import dev.livepost.testing.Adversarial;
import dev.livepost.testing.ApiClient;
import dev.livepost.testing.LiveRun;
import dev.livepost.testing.Sse;
import dev.livepost.testing.TestApp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults from outside, on the real server and sandboxes: a sandbox killed from the host, the server
 * stopped with streams open, a session deleted while it writes files. Each case is bounded (runs
 * end by themselves within 30 s) and talks to loopback only.
 */
@Adversarial
class SandboxFaultIT {
    private static final Duration WITHIN = Duration.ofSeconds(30);
    // No precomputing: its background sandboxes and session files would blur what is counted here.
    private static final Map<String, String> ENV =
            Map.of("LIVEPOST_POOL_SIZE", "1", "LIVEPOST_PRECOMPUTE", "false");

    @TempDir Path posts;

    @BeforeEach
    void post() throws IOException {
        Files.writeString(
                posts.resolve("p.md"),
                "---\ntitle: t\ndate: 2026-01-01\n---\n::code-runner{id=a}\n```python\nprint(1)\n```\n");
    }

    @Test
    void sandboxKilledFromTheHostEndsTheRunAndTheSessionRecovers() throws Exception {
        try (var app = TestApp.start(posts, ENV)) {
            var api = new ApiClient(app.base());
            String token = api.createSession("p/a");
            String marker = marker();
            LiveRun run = api.start(token, "code", sleeper(marker, "x = 1"));
            run.awaitStdout("started");
            List<ProcessHandle> sandbox = sandboxOf(marker);

            sandbox.forEach(ProcessHandle::destroyForcibly); // SIGKILL
            awaitExit(sandbox);

            List<Sse.Event> events = run.events(WITHIN);
            Sse.Event last = events.get(events.size() - 1);
            assertThat(last.name()).as(events.toString()).isEqualTo("done");
            assertThat(last.data().path("status").asText()).isEqualTo("killed");
            assertThat(ApiClient.names(events)).contains("notice");
            var next = api.runCode(token, "print('back', 'x' in globals())");
            assertThat(next.stream().filter(e -> e.name().equals("stdout")).map(Sse.Event::text))
                    .containsExactly("back False\n");
            assertThat(next.get(next.size() - 1).data().path("status").asText()).isEqualTo("ok");
        }
    }

    @Test
    void serverStoppedWithOpenStreamsEndsThemAndForgetsItsSessions() throws Exception {
        Path data = Files.createTempDirectory("livepost-data-");
        try {
            App first = start(data);
            var api = new ApiClient("http://127.0.0.1:" + first.port());
            List<String> tokens = new ArrayList<>();
            List<LiveRun> runs = new ArrayList<>();
            List<ProcessHandle> sandboxes = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                String token = api.createSession("p/a");
                String marker = marker();
                LiveRun run = api.start(token, "code", sleeper(marker, "open('out.txt', 'w')"));
                run.awaitStdout("started");
                tokens.add(token);
                runs.add(run);
                sandboxes.addAll(sandboxOf(marker));
            }

            first.close();

            for (LiveRun run : runs) {
                List<String> names = ApiClient.names(run.events(WITHIN));
                assertThat(names).first().isEqualTo("run");
                assertThat(names.get(names.size() - 1)).isIn("done", "error");
            }
            awaitExit(sandboxes);
            App second = start(data);
            try {
                var again = new ApiClient("http://127.0.0.1:" + second.port());
                for (String token : tokens) {
                    assertThat(
                                    again.post(
                                                    "/api/sessions/" + token + "/runs",
                                                    Map.of("code", "print(1)"))
                                            .statusCode())
                            .isEqualTo(404);
                    assertThat(again.get("/api/sessions/" + token + "/files/x").statusCode())
                            .isEqualTo(404);
                }
                assertThat(filesUnder(data.resolve("sessions"))).isEmpty();
            } finally {
                second.close();
            }
        } finally {
            TestApp.deleteRecursively(data);
        }
    }

    @Test
    void deletingASessionThatWritesFilesLeavesNoProcessAndNoFile() throws Exception {
        try (var app = TestApp.start(posts, ENV)) {
            var api = new ApiClient(app.base());
            String token = api.createSession("p/a");
            String marker = marker();
            // Files written in a loop, and file messages forged on the kernel's channel when the
            // code can find it (the attack that left hundreds of files behind).
            String code =
                    """
                    import base64, gc, os, subprocess, time
                    child = subprocess.Popen(['/bin/sh', '-c', 'sleep 30; :', '%s'])
                    chan = next((o for o in gc.get_objects() if type(o).__name__ == 'Channel'), None)
                    data = base64.b64encode(b'x' * 4096).decode()
                    print('started', chan is not None, flush=True)
                    end = time.time() + 25
                    i = 0
                    while time.time() < end:
                        with open('f%%d.txt' %% (i %% 50), 'w') as f:
                            f.write('x' * 4096)
                        if chan and i < 3000:
                            chan.send(type='file', name='f%%d.txt' %% i, mime='text/plain', data=data, size=4096)
                        i += 1
                    """
                            .formatted(marker);
            LiveRun run = api.start(token, "code", code);
            boolean forging = run.awaitStdout("started").text().contains("True");
            List<ProcessHandle> sandbox = sandboxOf(marker);
            long uid = uid(sandbox.get(0));
            CompletableFuture<?> done =
                    app.app().sessions().current(token).orElseThrow().completion();
            if (forging) { // deleted while files arrive
                run.await(e -> e.name().equals("file"), Duration.ofSeconds(10));
            }
            var deleted = Instant.now();
            assertThat(app.delete("/api/sessions/" + token).statusCode()).isIn(200, 204);

            awaitExit(sandbox);
            done.get(WITHIN.toSeconds(), TimeUnit.SECONDS);
            run.events(WITHIN);
            if (uid >= 200_000) { // the server is root: the uid was the sandbox's own
                assertThat(processesOf(uid, deleted)).isEmpty();
            }
            Path sessions = app.app().config().data().resolve("sessions");
            assertThat(filesUnder(sessions)).isEmpty();
        }
    }

    private App start(Path data) {
        var config =
                Config.parse(
                        List.of(
                                "--port",
                                "0",
                                "--posts",
                                posts.toString(),
                                "--data",
                                data.toString()),
                        ENV,
                        Path.of("").toAbsolutePath());
        var app = new App(config);
        app.start();
        return app;
    }

    private static String marker() {
        return "livepost-" + UUID.randomUUID();
    }

    /**
     * Code that starts a child process whose command line carries {@code marker} (as the shell's
     * {@code $0}), so the test can find the sandbox from the host, then prints {@code started} and
     * waits (30 s at most).
     */
    private static String sleeper(String marker, String first) {
        return first
                + "\nimport subprocess\nchild = subprocess.Popen(['/bin/sh', '-c', 'sleep 30; :', '"
                + marker
                + "'])\nprint('started', flush=True)\nchild.wait()\n";
    }

    /**
     * The host processes of the sandbox running a process with {@code marker} in its arguments:
     * this JVM's child (bwrap, run through sh, prlimit, setpriv) or the zygote's (the sandbox's pid
     * 1), and everything below it.
     */
    private static List<ProcessHandle> sandboxOf(String marker) {
        ProcessHandle me = ProcessHandle.current();
        ProcessHandle top =
                me.descendants()
                        .filter(p -> cmdline(p).contains(marker))
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        new AssertionError(
                                                "no process with "
                                                        + marker
                                                        + ": "
                                                        + me.descendants()
                                                                .map(
                                                                        p ->
                                                                                p.pid()
                                                                                        + " "
                                                                                        + cmdline(
                                                                                                p))
                                                                .toList()));
        while (top.parent().map(p -> p.pid() != me.pid() && !isZygote(p)).orElse(false)) {
            top = top.parent().orElseThrow();
        }
        List<ProcessHandle> all = new ArrayList<>(List.of(top));
        top.descendants().forEach(all::add);
        // (bwrap and its init,) the kernel, the marked process (whose own child may not be
        // forked yet)
        assertThat(all).hasSizeGreaterThanOrEqualTo(2);
        return all;
    }

    /** The zygote the sandboxes are forked from: this JVM's child (they share its cmdline). */
    private static boolean isZygote(ProcessHandle p) {
        return p.parent().map(pp -> pp.pid() == ProcessHandle.current().pid()).orElse(false)
                && cmdline(p).contains("__zygote__");
    }

    /** A process's command line (ProcessHandle.Info leaves out other users' arguments). */
    private static String cmdline(ProcessHandle p) {
        try {
            return Files.readString(Path.of("/proc/" + p.pid() + "/cmdline"));
        } catch (IOException e) {
            return ""; // gone
        }
    }

    private static void awaitExit(List<ProcessHandle> processes) throws Exception {
        CompletableFuture.allOf(
                        processes.stream()
                                .map(ProcessHandle::onExit)
                                .toArray(CompletableFuture[]::new))
                .get(WITHIN.toSeconds(), TimeUnit.SECONDS);
    }

    private static long uid(ProcessHandle p) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + p.pid() + "/status")).stream()
                .filter(l -> l.startsWith("Uid:"))
                .mapToLong(l -> Long.parseLong(l.split("\\s+")[1]))
                .findFirst()
                .orElseThrow();
    }

    /**
     * Processes of the host running as {@code uid} that started before {@code before} (a sandbox
     * started later may have been given the same uid), by pid.
     */
    private static List<Long> processesOf(long uid, Instant before) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().startInstant().map(t -> t.isBefore(before)).orElse(true))
                .filter(
                        p -> {
                            try {
                                return uid(p) == uid;
                            } catch (IOException | RuntimeException e) {
                                return false; // gone meanwhile
                            }
                        })
                .map(ProcessHandle::pid)
                .toList();
    }

    private static List<Path> filesUnder(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(Files::isRegularFile).toList();
        }
    }
}
