package dev.livepost.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.Adversarial;
import dev.livepost.testing.ApiClient;
import dev.livepost.testing.LiveRun;
import dev.livepost.testing.Sse;
import dev.livepost.testing.TestApp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parent dies: the server is killed with SIGKILL (no shutdown hook runs) while one session is
 * running code and another is idle (frozen, with a busy thread and a child process it left). No
 * sandbox process may outlive it. The server runs in a JVM of its own, started from this test's
 * class path on a loopback port; the test kills it and measures from the host which of its
 * processes are left.
 */
@Adversarial
class ServerKilledIT {
    private static final Duration WITHIN = Duration.ofSeconds(15);

    @TempDir Path posts;
    @TempDir Path data;

    @Test
    void noSandboxOutlivesAServerKilledWithSigkill() throws Exception {
        Files.writeString(
                posts.resolve("p.md"),
                "---\ntitle: t\ndate: 2026-01-01\n---\n::code-runner{id=a}\n```python\nprint(1)\n```\n");
        int port = freePort();
        long start = System.nanoTime();
        Process server = startServer(port);
        try {
            var api = new ApiClient("http://127.0.0.1:" + port);
            awaitHealthy(port, server);
            System.out.printf(
                    "a server in a JVM of its own answered after %d ms%n",
                    (System.nanoTime() - start) / 1_000_000);

            String idle = api.createSession("p/a");
            List<Sse.Event> left =
                    api.runCode(
                            idle,
                            """
                            import os, subprocess, threading
                            subprocess.Popen(['/bin/sleep', '600'], start_new_session=True)
                            threading.Thread(target=lambda: [0 for _ in iter(int, 1)], daemon=True).start()
                            print(os.readlink('/proc/self/ns/pid'))
                            """);
            String idleNamespace = stdout(left).strip();

            String busy = api.createSession("p/a");
            LiveRun running =
                    api.start(
                            busy,
                            "code",
                            "import os, time\nprint(os.readlink('/proc/self/ns/pid'), flush=True)\n"
                                    + "time.sleep(60)");
            String busyNamespace = running.awaitStdout("pid:").text().strip();

            List<ProcessHandle> sandboxes = new ArrayList<>();
            sandboxes.addAll(Host.inPidNamespace(idleNamespace));
            sandboxes.addAll(Host.inPidNamespace(busyNamespace));
            // 2 kernels (each its namespace's pid 1, or bubblewrap's init's child) and the sleep
            assertThat(sandboxes).hasSizeGreaterThanOrEqualTo(3);
            List<ProcessHandle> all = new ArrayList<>(sandboxes);
            server.descendants().forEach(all::add); // the zygote or the bwrap launchers too

            long killed = System.nanoTime();
            server.destroyForcibly(); // SIGKILL
            assertThat(server.waitFor(WITHIN.toSeconds(), TimeUnit.SECONDS)).isTrue();

            Host.awaitExit(all, WITHIN);
            System.out.printf(
                    "%d sandbox processes gone %d ms after the server was killed%n",
                    all.size(), (System.nanoTime() - killed) / 1_000_000);
            assertThat(Host.inPidNamespace(idleNamespace)).isEmpty();
            assertThat(Host.inPidNamespace(busyNamespace)).isEmpty();
        } finally {
            server.destroyForcibly();
            // A server started on this machine cleans up what a dead one left (frozen cgroups).
            try (var next = TestApp.start(posts, java.util.Map.of("LIVEPOST_POOL_SIZE", "1"))) {
                assertThat(next.get("/healthz").statusCode()).isEqualTo(200);
            }
        }
    }

    /** {@code livepost serve} in a JVM of its own, from this test's class path. */
    private Process startServer(int port) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var command =
                List.of(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        "dev.livepost.Main",
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        String.valueOf(port),
                        "--posts",
                        posts.toString(),
                        "--data",
                        data.toString());
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.redirectOutput(data.resolve("server.log").toFile());
        builder.environment().put("LIVEPOST_POOL_SIZE", "1");
        return builder.start();
    }

    private void awaitHealthy(int port, Process server) throws Exception {
        var http = HttpClient.newHttpClient();
        var health =
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                        .timeout(Duration.ofSeconds(2))
                        .build();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline && server.isAlive()) {
            try {
                var r = http.send(health, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && r.body().contains("\"executorAvailable\":true")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            server.waitFor(200, TimeUnit.MILLISECONDS); // returns early if the server dies
        }
        throw new AssertionError(
                "the server did not start: " + Files.readString(data.resolve("server.log")));
    }

    private static int freePort() throws IOException {
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String stdout(List<Sse.Event> events) {
        return String.join(
                "",
                events.stream()
                        .filter(e -> e.name().equals("stdout"))
                        .map(Sse.Event::text)
                        .toList());
    }
}
