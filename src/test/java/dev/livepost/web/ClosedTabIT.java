package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.TestApp;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A reader who closes the tab stops the run; the session and its state stay. */
class ClosedTabIT {
    @TempDir Path posts;

    @Test
    void closingTheStreamInterruptsTheRunAndKeepsTheSession() throws Exception {
        Files.writeString(
                posts.resolve("tab.md"),
                """
                ---
                title: Tab
                date: 2026-01-01
                ---
                ::code-runner{id=a}
                ```python
                print(1)
                ```
                """);
        try (var app = TestApp.start(posts, Map.of("LIVEPOST_POOL_SIZE", "1"))) {
            int port = app.port();
            String created = app.post("/api/sessions", "{\"artifact\":\"tab/a\"}").body();
            String token = created.replaceAll(".*\"session\":\"([^\"]+)\".*", "$1");

            // A raw socket, so the test decides exactly when the connection goes away.
            String body =
                    "{\"code\":\"import time\\nstate = 42\\nprint('started', flush=True)\\ntime.sleep(120)\"}";
            try (var socket = new Socket("127.0.0.1", port)) {
                OutputStream out = socket.getOutputStream();
                out.write(
                        ("POST /api/sessions/"
                                        + token
                                        + "/runs HTTP/1.1\r\nHost: localhost\r\n"
                                        + "Accept: text/event-stream\r\nContent-Type: application/json\r\n"
                                        + "Content-Length: "
                                        + body.getBytes(StandardCharsets.UTF_8).length
                                        + "\r\n\r\n"
                                        + body)
                                .getBytes(StandardCharsets.UTF_8));
                out.flush();
                var in =
                        new BufferedReader(
                                new InputStreamReader(
                                        socket.getInputStream(), StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null && !line.contains("started")) {
                    // headers, the run event, then our stdout line
                }
                assertThat(line).contains("started");
            }

            long closed = System.nanoTime();
            // The heartbeat finds the tab gone and stops the run: wait for the run's end.
            var run = app.app().sessions().current(token);
            if (run.isPresent()) {
                run.get().completion().get(30, TimeUnit.SECONDS);
            }
            HttpResponse<String> next =
                    app.send(
                            app.request("/api/sessions/" + token + "/runs")
                                    .header("Accept", "text/event-stream")
                                    .header("Content-Type", "application/json")
                                    .POST(
                                            HttpRequest.BodyPublishers.ofString(
                                                    "{\"code\":\"print(state)\"}")));

            assertThat(next.statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - closed))
                    .isLessThan(Duration.ofSeconds(15));
            assertThat(next.body())
                    .contains("data: {\"text\":\"42\\n\"}")
                    .contains("\"status\":\"ok\"");
        }
    }
}
