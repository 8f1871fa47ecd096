package dev.livepost.adversarial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livepost.testing.Adversarial;
import dev.livepost.testing.TestApp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow clients and connection floods cannot take the server down: a request head or body trickled a
 * byte at a time is cut off at the read deadline, one client address holds a bounded number of
 * connections and of requests in flight, and the server's connection cap holds, while {@code
 * /healthz} and other clients keep being answered. Loopback only (127.0.0.2 plays another client);
 * every socket has a timeout and is closed at the end.
 */
@Adversarial
class SlowClientsIT {
    private static final String SLOW_HEAD =
            "POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"art";
    private static final InetAddress OTHER_CLIENT = address("127.0.0.2");

    @TempDir Path posts;
    private final List<Socket> sockets = new ArrayList<>();
    private final ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();

    @BeforeEach
    void writePost() throws IOException {
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

    @AfterEach
    void closeAll() {
        trickle.shutdownNow();
        closeAll(sockets);
    }

    @Test
    void threeHundredSlowBodiesLeaveTheServerAnsweringAndAreCutAtTheDeadline() throws Exception {
        var env = Map.of("LIVEPOST_POOL_SIZE", "1", "LIVEPOST_REQUEST_READ_TIMEOUT", "10");
        try (var app = TestApp.start(posts, env)) {
            long start = System.nanoTime();
            for (int i = 0; i < 300; i++) {
                Socket s = open(app.port(), null);
                s.getOutputStream().write(SLOW_HEAD.getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                // ... and then nothing more.
            }
            // Beyond the connections one client may hold (100), the newest are refused at once:
            // well before the read deadline (10 s), with room for a busy 2-core machine.
            assertThat(statusLineOrClosed(sockets.get(299), Duration.ofSeconds(5)))
                    .isIn("HTTP/1.1 429 Too Many Requests", "closed");
            // Beyond its requests in flight (32), the server says 429 at once instead of waiting.
            assertThat(statusLineOrClosed(sockets.get(99), Duration.ofSeconds(5)))
                    .startsWith("HTTP/1.1 429");

            // Another client is answered meanwhile, and gets its session.
            assertThat(rawRequest(app.port(), OTHER_CLIENT, "GET", "/healthz", null))
                    .startsWith("HTTP/1.1 200");
            assertThat(
                            rawRequest(
                                    app.port(),
                                    OTHER_CLIENT,
                                    "POST",
                                    "/api/sessions",
                                    "{\"artifact\":\"slow/a\"}"))
                    .startsWith("HTTP/1.1 201");

            // The bodies the server waited for (32, the requests one client may have in flight)
            // are cut at the deadline, freeing their threads; the others were told 429.
            int cut = 0;
            for (Socket s : sockets.subList(0, 99)) {
                String answer = statusLineOrClosed(s, Duration.ofSeconds(20));
                assertThat(answer)
                        .isIn(
                                "closed",
                                "HTTP/1.1 408 Request Timeout",
                                "HTTP/1.1 429 Too Many Requests");
                cut += answer.contains("429") ? 0 : 1;
            }
            assertThat(cut).isGreaterThanOrEqualTo(32);
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isLessThan(Duration.ofSeconds(30));
            closeAll(sockets);
            var health = app.send(app.request("/healthz").timeout(Duration.ofSeconds(5)).GET());
            assertThat(health.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aTrickledRequestHeadIsCutOffAtTheDeadline() throws Exception {
        var env = Map.of("LIVEPOST_POOL_SIZE", "1", "LIVEPOST_REQUEST_READ_TIMEOUT", "2");
        try (var app = TestApp.start(posts, env)) {
            byte[] head =
                    ("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "X-Slow: 1\r\n".repeat(500))
                            .getBytes(StandardCharsets.US_ASCII);
            Socket s = open(app.port(), null);
            long start = System.nanoTime();
            trickleInto(s.getOutputStream(), head);

            assertThat(statusLineOrClosed(s, Duration.ofSeconds(10))).isEqualTo("closed");
            Duration cut = Duration.ofNanos(System.nanoTime() - start);
            assertThat(cut).isBetween(Duration.ofMillis(1500), Duration.ofSeconds(6));
            assertThat(app.get("/healthz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aTrickledRequestBodyIsCutOffAtTheDeadline() throws Exception {
        var env = Map.of("LIVEPOST_POOL_SIZE", "1", "LIVEPOST_REQUEST_READ_TIMEOUT", "2");
        try (var app = TestApp.start(posts, env)) {
            Socket s = open(app.port(), null);
            s.getOutputStream().write(SLOW_HEAD.getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            trickleInto(s.getOutputStream(), " ".repeat(990).getBytes(StandardCharsets.US_ASCII));

            assertThat(statusLineOrClosed(s, Duration.ofSeconds(10)))
                    .isIn("closed", "HTTP/1.1 408 Request Timeout");
            Duration cut = Duration.ofNanos(System.nanoTime() - start);
            assertThat(cut).isBetween(Duration.ofMillis(1500), Duration.ofSeconds(6));
            assertThat(app.get("/healthz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void anIdleKeptAliveConnectionIsNotTakenForASlowOne() throws Exception {
        var env = Map.of("LIVEPOST_POOL_SIZE", "1", "LIVEPOST_REQUEST_READ_TIMEOUT", "1");
        try (var app = TestApp.start(posts, env)) {
            Socket s = open(app.port(), null);
            var in = reader(s);
            for (int i = 0; i < 2; i++) {
                s.getOutputStream()
                        .write(
                                "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
                skipResponse(in);
                if (i == 0) {
                    // The scenario: a reader who keeps the connection and is quiet for twice the
                    // read deadline (the idle timeout, 30 s, is what applies between requests).
                    Thread.sleep(2_000);
                }
            }
        }
    }

    @Test
    void oneClientHoldsAtMostItsShareOfConnections() throws Exception {
        var env = Map.of("LIVEPOST_POOL_SIZE", "1", "LIVEPOST_CONNECTIONS_PER_CLIENT", "5");
        try (var app = TestApp.start(posts, env)) {
            for (int i = 0; i < 5; i++) {
                // Answered once, and kept: the server has surely counted it (Jetty opens
                // connections on several selector threads, not always in the order they came).
                Socket kept = open(app.port(), null);
                kept.getOutputStream()
                        .write(
                                "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(reader(kept).readLine()).isEqualTo("HTTP/1.1 200 OK");
            }
            assertThat(rawRequest(app.port(), null, "GET", "/healthz", null))
                    .isIn("HTTP/1.1 429 Too Many Requests", "closed");
            assertThat(rawRequest(app.port(), OTHER_CLIENT, "GET", "/healthz", null))
                    .startsWith("HTTP/1.1 200");

            // A connection closed gives its place back, once the server has seen it close.
            closeAll(sockets.subList(0, 1));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            String answer;
            do {
                answer = rawRequest(app.port(), null, "GET", "/healthz", null);
            } while (!answer.startsWith("HTTP/1.1 200") && System.nanoTime() < deadline);
            assertThat(answer).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void aTrustedProxyIsNotCappedAsOneClient() throws Exception {
        var env =
                Map.of(
                        "LIVEPOST_POOL_SIZE", "1",
                        "LIVEPOST_CONNECTIONS_PER_CLIENT", "5",
                        "LIVEPOST_TRUSTED_PROXIES", "127.0.0.1");
        try (var app = TestApp.start(posts, env)) {
            for (int i = 0; i < 10; i++) {
                open(app.port(), null);
            }
            assertThat(rawRequest(app.port(), null, "GET", "/healthz", null))
                    .startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void connectionsBeyondTheServersCapWaitUntilOneCloses() throws Exception {
        var env = Map.of("LIVEPOST_POOL_SIZE", "1", "LIVEPOST_MAX_CONNECTIONS", "20");
        try (var app = TestApp.start(posts, env)) {
            for (int i = 0; i < 20; i++) {
                open(app.port(), null);
            }
            // Each of the 20 is accepted: a request on the last one is answered.
            Socket last = sockets.get(19);
            last.getOutputStream()
                    .write(
                            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(reader(last).readLine()).startsWith("HTTP/1.1 200");

            assertThatThrownBy(
                            () ->
                                    app.send(
                                            app.request("/healthz")
                                                    .timeout(Duration.ofSeconds(1))
                                                    .GET()))
                    .isInstanceOf(HttpTimeoutException.class);

            closeAll(sockets.subList(0, 5));
            var health = app.send(app.request("/healthz").timeout(Duration.ofSeconds(10)).GET());
            assertThat(health.statusCode()).isEqualTo(200);
        }
    }

    /** Writes {@code bytes} one every 100 ms, the way a slow-loris client does, until cut off. */
    private void trickleInto(OutputStream out, byte[] bytes) {
        int[] next = {0};
        trickle.scheduleAtFixedRate(
                () -> {
                    try {
                        if (next[0] < bytes.length) {
                            out.write(bytes[next[0]++]);
                            out.flush();
                        }
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e); // cut off: stop trickling
                    }
                },
                0,
                100,
                TimeUnit.MILLISECONDS);
    }

    /** A connection to the server, kept for closing at the end; from {@code from} if not null. */
    private Socket open(int port, InetAddress from) throws IOException {
        var s = new Socket();
        sockets.add(s);
        if (from != null) {
            s.bind(new InetSocketAddress(from, 0));
        }
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setSoTimeout(5_000);
        return s;
    }

    /** One request on a connection of its own; the status line, or {@code closed}. */
    private String rawRequest(int port, InetAddress from, String method, String path, String json)
            throws IOException {
        try (Socket s = open(port, from)) {
            String body = json == null ? "" : json;
            String head =
                    method
                            + " "
                            + path
                            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                            + (json == null ? "" : "Content-Type: application/json\r\n")
                            + "Content-Length: "
                            + body.length()
                            + "\r\n\r\n";
            try {
                s.getOutputStream().write((head + body).getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                return "closed"; // refused before the request was written
            }
            return statusLineOrClosed(s, Duration.ofSeconds(20));
        }
    }

    /**
     * The status line the server answers on {@code s}, or {@code closed} if it closes the
     * connection without one; fails if neither happens {@code within}.
     */
    private static String statusLineOrClosed(Socket s, Duration within) throws IOException {
        s.setSoTimeout((int) within.toMillis());
        try {
            String line = reader(s).readLine();
            return line == null ? "closed" : line;
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server neither answered nor closed within " + within);
        } catch (IOException e) {
            return "closed"; // reset
        }
    }

    private static BufferedReader reader(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
    }

    /** Reads the rest of a response with a Content-Length body. */
    private static void skipResponse(BufferedReader in) throws IOException {
        int length = 0;
        for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        for (int i = 0; i < length; i++) {
            in.read();
        }
    }

    private static void closeAll(List<Socket> toClose) {
        for (Socket s : toClose) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
