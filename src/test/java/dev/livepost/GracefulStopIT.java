package dev.livepost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livepost.testing.ApiClient;
import dev.livepost.testing.LiveRun;
import dev.livepost.testing.ServerProcess;
import dev.livepost.testing.Sse;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server stopped as systemd, Docker and Kubernetes stop it: {@code SIGTERM} to a real server
 * process with two runs streaming. It stops accepting connections at once, lets the run that ends
 * within the grace period end as usual, stops the one that would not (it waits for input that never
 * comes) with the {@code error} {@code server_stopping}, and exits 0 in time.
 */
class GracefulStopIT {
    @TempDir Path posts;
    @TempDir Path data;

    @Test
    void sigtermEndsOpenStreamsCleanlyAndExitsZero() throws Exception {
        Files.writeString(
                posts.resolve("p.md"),
                "---\ntitle: t\ndate: 2026-01-01\n---\n::code-runner{id=a}\n```python\nprint(1)\n```\n");
        try (var server =
                ServerProcess.start(
                        new ServerProcess.Options(
                                posts, data, Map.of("LIVEPOST_POOL_SIZE", "2"), -1, -1, List.of()),
                        Duration.ofSeconds(90))) {
            var api = new ApiClient(server.base());
            int port = URI.create(server.base()).getPort();
            LiveRun waiting =
                    api.start(
                            api.createSession("p/a"),
                            "code",
                            "print('waiting', flush=True)\ninput()\nprint('never')");
            LiveRun ending =
                    api.start(
                            api.createSession("p/a"),
                            "code",
                            "import time\nprint('started', flush=True)\ntime.sleep(3)\n"
                                    + "print('finished')");
            waiting.awaitStdout("waiting");
            ending.awaitStdout("started");

            long signalled = System.nanoTime();
            server.terminate(); // SIGTERM
            server.awaitLine("stopping: 2 runs in progress", Duration.ofSeconds(10));
            // The server closes its listening socket before it logs that line. An acceptor thread
            // blocked in accept(2) holds the socket until the JDK's wake-up signal reaches it,
            // and a connection that comes first is still accepted: on a busy machine that is a
            // few milliseconds after the line, never more than one scheduling delay.
            assertThat(refusedWithin(port, Duration.ofSeconds(2))).isTrue();

            // The run that ends within the grace period ends as it would have.
            List<Sse.Event> ended = ending.events(Duration.ofSeconds(20));
            assertThat(ended.get(ended.size() - 1).name()).isEqualTo("done");
            assertThat(ended.get(ended.size() - 1).data().get("status").asText()).isEqualTo("ok");
            assertThat(ended)
                    .anyMatch(e -> e.name().equals("stdout") && e.text().contains("finished"));

            // The run that would not end is stopped after the grace, its stream told why.
            List<Sse.Event> stopped = waiting.events(App.STOP_GRACE.plus(Duration.ofSeconds(20)));
            Sse.Event last = stopped.get(stopped.size() - 1);
            assertThat(last.name()).isEqualTo("error");
            assertThat(last.data().get("code").asText()).isEqualTo("server_stopping");
            assertThat(last.data().get("message").asText()).contains("run it again");
            assertThat(stopped).noneMatch(e -> e.name().equals("done"));
            assertThat(stopped)
                    .noneMatch(e -> e.name().equals("stdout") && e.text().contains("never"));
            long streamEnded = System.nanoTime();
            assertThat(Duration.ofNanos(streamEnded - signalled))
                    .isGreaterThanOrEqualTo(App.STOP_GRACE);

            assertThat(server.awaitExit(Duration.ofSeconds(30))).as(server.output()).hasValue(0);
            Duration took = Duration.ofNanos(System.nanoTime() - signalled);
            System.out.printf("SIGTERM to exit: %d ms%n", took.toMillis());
            // Within the systemd unit's TimeoutStopSec (30 s), with room to spare.
            assertThat(took).isLessThan(App.STOP_GRACE.plus(Duration.ofSeconds(12)));
            assertThatThrownBy(() -> new Socket("127.0.0.1", port).close())
                    .isInstanceOf(IOException.class);
        }
    }

    /** Whether new connections are refused within {@code limit}. */
    private static boolean refusedWithin(int port, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try (var s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            } catch (ConnectException e) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20); // a socket's end has no event to wait on
        }
    }
}
