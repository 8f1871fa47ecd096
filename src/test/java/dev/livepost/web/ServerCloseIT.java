package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.TestApp;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stopping the server while a run streams ends that stream with its last event. */
class ServerCloseIT {
    @TempDir Path posts;

    @Test
    void closeDuringARunEndsTheStream() throws Exception {
        Files.writeString(
                posts.resolve("p.md"),
                "---\ntitle: t\ndate: 2026-01-01\n---\n::code-runner{id=a}\n```python\nprint(1)\n```\n");
        var app = TestApp.start(posts, Map.of("LIVEPOST_POOL_SIZE", "1"));
        String created = app.post("/api/sessions", "{\"artifact\":\"p/a\"}").body();
        String token = created.replaceAll(".*\"session\":\"([^\"]+)\".*", "$1");
        CompletableFuture<List<String>> lines =
                app.http()
                        .sendAsync(
                                app.request("/api/sessions/" + token + "/runs")
                                        .header("Accept", "text/event-stream")
                                        .POST(
                                                HttpRequest.BodyPublishers.ofString(
                                                        "{\"code\":\"import time\\nprint(1, flush=True)\\ntime.sleep(60)\"}"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofLines())
                        .thenApply(r -> r.body().toList());
        Thread.sleep(1500);
        long start = System.nanoTime();
        app.close();
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(8);
        List<String> events =
                lines.get(10, TimeUnit.SECONDS).stream()
                        .filter(l -> l.startsWith("event:"))
                        .toList();
        assertThat(events).first().isEqualTo("event: run");
        assertThat(events).contains("event: stdout");
        assertThat(events.get(events.size() - 1)).isIn("event: error", "event: done");
    }
}
