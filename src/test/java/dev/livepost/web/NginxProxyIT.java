package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.ApiClient;
import dev.livepost.testing.LiveRun;
import dev.livepost.testing.Nginx;
import dev.livepost.testing.Sse;
import dev.livepost.testing.TestApp;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Livepost behind a real nginx (Debian's package) with the README's site configuration, the server
 * trusting 127.0.0.1 as its proxy. Readers connect from addresses of their own on the loopback
 * network (127.0.0.2, 127.0.0.3, ...), so nginx sees each as a different client, as it would on the
 * internet.
 */
class NginxProxyIT {
    /**
     * Small, so the limits are reached quickly; the tests that connect from 127.0.0.1 (the trusted
     * proxy itself, so counted as 127.0.0.1) share its budget and make 2 sessions.
     */
    private static final int SESSIONS_PER_MINUTE = 3;

    @TempDir static Path posts;
    @TempDir static Path nginxDir;
    private static TestApp app;
    private static Nginx nginx;

    @BeforeAll
    static void start() throws Exception {
        Files.writeString(
                posts.resolve("p.md"),
                "---\ntitle: t\ndate: 2026-01-01\n---\n::code-runner{id=a}\n```python\nprint(1)\n```\n");
        app =
                TestApp.start(
                        posts,
                        Map.of(
                                "LIVEPOST_TRUSTED_PROXIES", "127.0.0.1",
                                "LIVEPOST_SESSIONS_PER_MINUTE", String.valueOf(SESSIONS_PER_MINUTE),
                                "LIVEPOST_POOL_SIZE", "1"));
        nginx = Nginx.start(nginxDir, "127.0.0.1:" + app.port());
    }

    @AfterAll
    static void stop() {
        if (nginx != null) {
            nginx.close();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void healthAnswersThroughNginx() throws Exception {
        Response r = request("127.0.0.2", nginx.port(), "GET", "/healthz", "", null);
        assertThat(r.status()).as(nginx.errorLog()).isEqualTo(200);
        assertThat(r.body()).contains("\"status\":\"ok\"");
    }

    @Test
    void theFirstEventArrivesThroughNginxWhileTheRunStillWaits() throws Exception {
        var api = new ApiClient(nginx.base());
        String token = api.createSession("p/a");
        LiveRun run =
                api.start(
                        token,
                        "code",
                        "print('first', flush=True)\nline = input()\nprint('got', line)");
        // The run cannot end before the test sends its input: 'first' arriving now proves nginx
        // passed it on as it was printed, not when the stream ended.
        Sse.Event first = run.awaitStdout("first");
        assertThat(first.text()).isEqualTo("first\n");
        var sent = api.post("/api/sessions/" + token + "/stdin", Map.of("text", "hello\n"));
        assertThat(sent.statusCode()).isEqualTo(202);
        List<Sse.Event> all = run.events(Duration.ofSeconds(30));
        assertThat(all).anyMatch(e -> e.name().equals("stdout") && e.text().contains("got hello"));
        assertThat(all.get(all.size() - 1).name()).isEqualTo("done");
        // The stdout event came before the input was even sent.
        assertThat(first.nanos()).isLessThan(all.get(all.size() - 1).nanos());
    }

    @Test
    void theServerAsksProxiesNotToBufferEventStreams() throws Exception {
        var direct = new ApiClient(app.base());
        String token = direct.createSession("p/a");
        var response =
                app.http()
                        .send(
                                app.request("/api/sessions/" + token + "/runs")
                                        .header("Content-Type", "application/json")
                                        .header("Accept", "text/event-stream")
                                        .POST(
                                                java.net.http.HttpRequest.BodyPublishers.ofString(
                                                        "{\"code\":\"print(1)\"}"))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.headers().firstValue("X-Accel-Buffering")).hasValue("no");
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
    }

    @Test
    void clientsWithDifferentAddressesHaveTheirOwnRateLimits() throws Exception {
        // 127.0.0.3 uses up its new sessions, even sending a different forged X-Forwarded-For
        // each time: nginx appends the address it saw, which is what counts.
        for (int i = 0; i < SESSIONS_PER_MINUTE; i++) {
            assertThat(createSession("127.0.0.3", nginx.port(), "198.51.100." + i).status())
                    .isEqualTo(201);
        }
        Response refused = createSession("127.0.0.3", nginx.port(), "198.51.100.99");
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.head()).containsIgnoringCase("Retry-After:");
        // 127.0.0.5 is another reader, with limits of its own.
        assertThat(createSession("127.0.0.5", nginx.port(), null).status()).isEqualTo(201);
    }

    @Test
    void aForgedForwardedForFromAnUntrustedPeerIsIgnored() throws Exception {
        // Straight to the server, not through nginx: 127.0.0.4 is no trusted proxy, so each
        // forged address counts as 127.0.0.4 and the limit holds.
        for (int i = 0; i < SESSIONS_PER_MINUTE; i++) {
            assertThat(createSession("127.0.0.4", app.port(), "203.0.113." + i).status())
                    .isEqualTo(201);
        }
        assertThat(createSession("127.0.0.4", app.port(), "203.0.113.99").status()).isEqualTo(429);
        // Through nginx 127.0.0.4 is still itself: the same exhausted limit.
        assertThat(createSession("127.0.0.4", nginx.port(), null).status()).isEqualTo(429);
    }

    private static Response createSession(String from, int port, String forwardedFor)
            throws IOException {
        return request(from, port, "POST", "/api/sessions", "{\"artifact\":\"p/a\"}", forwardedFor);
    }

    /** What came back, head and body apart. */
    private record Response(int status, String head, String body) {}

    /** One HTTP/1.1 request from the local address {@code from}, read to its end. */
    private static Response request(
            String from, int port, String method, String path, String body, String forwardedFor)
            throws IOException {
        try (var socket = new Socket()) {
            socket.setSoTimeout(30_000);
            socket.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            var head = new ArrayList<String>();
            head.add(method + " " + path + " HTTP/1.1");
            head.add("Host: 127.0.0.1:" + port);
            head.add("Connection: close");
            head.add("Content-Type: application/json");
            head.add("Content-Length: " + bytes.length);
            if (forwardedFor != null) {
                head.add("X-Forwarded-For: " + forwardedFor);
            }
            var out = socket.getOutputStream();
            out.write((String.join("\r\n", head) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            String response = readAll(socket.getInputStream());
            int split = response.indexOf("\r\n\r\n");
            String responseHead = split < 0 ? response : response.substring(0, split);
            int status = Integer.parseInt(responseHead.split(" ", 3)[1]);
            return new Response(
                    status, responseHead, split < 0 ? "" : response.substring(split + 4));
        }
    }

    private static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
