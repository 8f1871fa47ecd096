package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livepost.testing.TestApp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow clients and connection floods cannot take the server down: many requests that send their
 * bodies slowly hold at most their client's share of the server's threads, and the connection cap
 * holds. Loopback only; every socket is bounded by a timeout and closed at the end.
 */
class SlowClientsIT {
    private static final String SLOW_HEAD =
            "POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"art";

    @TempDir Path posts;

    @Test
    void threeHundredSlowBodiesLeaveTheServerAnswering() throws Exception {
        writePost();
        try (var app = TestApp.start(posts, Map.of("LIVEPOST_POOL_SIZE", "1"))) {
            var sockets = new ArrayList<Socket>();
            try {
                for (int i = 0; i < 300; i++) {
                    Socket s = open(app.port(), null);
                    sockets.add(s);
                    s.getOutputStream().write(SLOW_HEAD.getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    // ... and then nothing more.
                }
                // Beyond the per-client cap the server says 429 at once instead of waiting.
                assertThat(firstRefusal(sockets)).startsWith("HTTP/1.1 429");

                long start = System.nanoTime();
                var health = app.send(app.request("/healthz").timeout(Duration.ofSeconds(2)).GET());
                assertThat(health.statusCode()).isEqualTo(200);
                assertThat(Duration.ofNanos(System.nanoTime() - start))
                        .isLessThan(Duration.ofSeconds(2));

                // Another client (another loopback address) still gets its session.
                try (Socket other = open(app.port(), InetAddress.getByName("127.0.0.2"))) {
                    String body = "{\"artifact\":\"slow/a\"}";
                    other.getOutputStream()
                            .write(
                                    ("POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                    + "Content-Type: application/json\r\n"
                                                    + "Connection: close\r\nContent-Length: "
                                                    + body.length()
                                                    + "\r\n\r\n"
                                                    + body)
                                            .getBytes(StandardCharsets.US_ASCII));
                    other.setSoTimeout(20_000);
                    assertThat(statusLine(other)).startsWith("HTTP/1.1 201");
                }
            } finally {
                closeAll(sockets);
            }
        }
    }

    @Test
    void connectionsBeyondTheCapWaitUntilOneCloses() throws Exception {
        writePost();
        var env = Map.of("LIVEPOST_POOL_SIZE", "1", "LIVEPOST_MAX_CONNECTIONS", "20");
        try (var app = TestApp.start(posts, env)) {
            var sockets = new ArrayList<Socket>();
            try {
                for (int i = 0; i < 20; i++) {
                    sockets.add(open(app.port(), null));
                }
                // Each of the 20 is accepted: a request on the last one is answered.
                Socket last = sockets.get(19);
                last.getOutputStream()
                        .write(
                                "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(statusLine(last)).startsWith("HTTP/1.1 200");

                assertThatThrownBy(
                                () ->
                                        app.send(
                                                app.request("/healthz")
                                                        .timeout(Duration.ofSeconds(1))
                                                        .GET()))
                        .isInstanceOf(HttpTimeoutException.class);

                closeAll(sockets.subList(0, 5));
                var health =
                        app.send(app.request("/healthz").timeout(Duration.ofSeconds(10)).GET());
                assertThat(health.statusCode()).isEqualTo(200);
            } finally {
                closeAll(sockets);
            }
        }
    }

    private void writePost() throws IOException {
        Files.writeString(
                posts.resolve("slow.md"),
                """
                ---
                title: Slow
                date: 2026-01-01
                ---
                ::code-runner{id=a}
                ```python
                print(1)
                ```
                """);
    }

    private static Socket open(int port, InetAddress from) throws IOException {
        var s = new Socket();
        if (from != null) {
            s.bind(new InetSocketAddress(from, 0));
        }
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setSoTimeout(5_000);
        return s;
    }

    /** The status line of the first socket, from the newest back, that the server answered. */
    private static String firstRefusal(List<Socket> sockets) throws IOException {
        for (int i = sockets.size() - 1; i >= sockets.size() - 40; i--) {
            Socket s = sockets.get(i);
            s.setSoTimeout(2_000);
            try {
                return statusLine(s);
            } catch (SocketTimeoutException e) {
                // one of the requests holding a slot: try an earlier one
            }
        }
        return "no answer";
    }

    private static String statusLine(Socket s) throws IOException {
        var in =
                new BufferedReader(
                        new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
        String line = in.readLine();
        return line == null ? "closed" : line;
    }

    private static void closeAll(List<Socket> sockets) {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
