package dev.livepost.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.Adversarial;
import dev.livepost.testing.ApiClient;
import dev.livepost.testing.Sse;
import dev.livepost.testing.TestApp;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session tokens are secrets: whatever happens to a request (a run, a client that goes away, a 404,
 * a server error), no log line carries one. slf4j-simple writes to {@code System.err} at each call,
 * so the test reads the server's log by teeing that stream.
 */
@Adversarial
class SecretsInLogsIT {
    @TempDir Path posts;

    @Test
    void noLogLineCarriesAToken() throws Exception {
        Files.writeString(
                posts.resolve("logs.md"),
                """
                ---
                title: Logs
                date: 2026-01-01
                ---
                ::code-runner{id=a}
                ```python
                print(1)
                ```
                """);
        var log = new Capture(System.err);
        PrintStream original = System.err;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        String token;
        try (var app = TestApp.start(posts, Map.of("LIVEPOST_POOL_SIZE", "1"))) {
            var api = new ApiClient(app.base());
            token = api.createSession("logs/a");
            String hash = logged(token);

            // A run that writes a file.
            List<Sse.Event> events =
                    api.runCode(token, "open('out.txt', 'w').write('x')\nprint('ok')");
            String url =
                    events.stream()
                            .filter(e -> e.name().equals("file"))
                            .findFirst()
                            .orElseThrow()
                            .data()
                            .path("url")
                            .asText();

            // A request whose client goes away before its body arrives: one line, no trace.
            int before = log.text().length();
            try (var socket = new Socket("127.0.0.1", app.port())) {
                socket.getOutputStream()
                        .write(
                                ("POST /api/sessions/"
                                                + token
                                                + "/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                + "Accept: text/event-stream\r\n"
                                                + "Content-Type: application/json\r\n"
                                                + "Content-Length: 200\r\n\r\n{\"code\":")
                                        .getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
            }
            String aborted = log.await("client went away", Duration.ofSeconds(20));
            assertThat(aborted).contains(hash);
            assertThat(log.text().substring(before)).doesNotContain("\tat ");

            // A run stream whose tab is closed: one line, the run stopped.
            before = log.text().length();
            String body =
                    "{\"code\":\"import time\\nprint('started', flush=True)\\ntime.sleep(60)\"}";
            try (var socket = new Socket("127.0.0.1", app.port())) {
                socket.setSoTimeout(20_000);
                OutputStream out = socket.getOutputStream();
                out.write(
                        ("POST /api/sessions/"
                                        + token
                                        + "/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                        + "Accept: text/event-stream\r\nContent-Type: application/json\r\n"
                                        + "Content-Length: "
                                        + body.length()
                                        + "\r\n\r\n"
                                        + body)
                                .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                var in =
                        new BufferedReader(
                                new InputStreamReader(
                                        socket.getInputStream(), StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null && !line.contains("started")) {
                    // headers, the run event, then the stdout line
                }
            }
            var run = app.app().sessions().current(token);
            if (run.isPresent()) {
                run.get().completion().get(30, TimeUnit.SECONDS);
            }
            assertThat(log.await("run in session " + hash, Duration.ofSeconds(20)))
                    .contains("client went away");
            assertThat(log.text().substring(before)).doesNotContain("\tat ");

            // Not found: an unknown file, an unknown route under the session.
            assertThat(app.get("/api/sessions/" + token + "/files/nope").statusCode())
                    .isEqualTo(404);
            assertThat(app.get("/api/sessions/" + token + "/nothing").statusCode()).isEqualTo(404);

            // A server error: the stored file vanished from the disk under the server.
            String fileId = url.substring(url.lastIndexOf('/') + 1);
            Files.delete(app.app().sessions().file(token, fileId).path());
            assertThat(app.get(url).statusCode()).isEqualTo(500);
            assertThat(log.await("failed", Duration.ofSeconds(10))).contains(hash);
        } finally {
            System.setErr(original);
        }
        // After the server stopped, so nothing it logs is missed.
        assertThat(log.text()).doesNotContain(token);
    }

    /** How the README says a token is logged: {@code #} and 8 hex digits of its SHA-256. */
    private static String logged(String token) throws NoSuchAlgorithmException {
        byte[] sha =
                MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        return "#" + HexFormat.of().formatHex(sha, 0, 4);
    }

    /** Keeps everything written to it (and passes it on), and lets a test await a line. */
    private static final class Capture extends OutputStream {
        private final PrintStream through;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();

        Capture(PrintStream through) {
            this.through = through;
        }

        @Override
        public synchronized void write(int b) {
            kept.write(b);
            through.write(b);
            notifyAll();
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            kept.write(b, off, len);
            through.write(b, off, len);
            notifyAll();
        }

        synchronized String text() {
            return kept.toString(StandardCharsets.UTF_8);
        }

        /** The first whole line containing {@code text}, waiting for it up to {@code within}. */
        synchronized String await(String text, Duration within) throws InterruptedException {
            long deadline = System.nanoTime() + within.toNanos();
            while (true) {
                for (String line : text().split("\n", -1)) {
                    if (line.contains(text) && text().contains(line + "\n")) {
                        return line;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no log line with '" + text + "':\n" + text());
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }
}
