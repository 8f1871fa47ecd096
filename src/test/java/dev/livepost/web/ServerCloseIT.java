package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.LiveRun;
import dev.livepost.testing.Sse;
import dev.livepost.testing.TestApp;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
        LiveRun run =
                LiveRun.start(
                        app.http(),
                        app.request("/api/sessions/" + token + "/runs")
                                .header("Accept", "text/event-stream")
                                .header("Content-Type", "application/json")
                                .POST(
                                        HttpRequest.BodyPublishers.ofString(
                                                "{\"code\":\"import time\\nprint('started', flush=True)\\ntime.sleep(60)\"}"))
                                .build());
        run.awaitStdout("started");
        long start = System.nanoTime();
        app.close();
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(8);
        // The stream was ended cleanly, with its last event, not cut.
        List<String> events =
                run.events(Duration.ofSeconds(10)).stream().map(Sse.Event::name).toList();
        assertThat(events).first().isEqualTo("run");
        assertThat(events).contains("stdout");
        assertThat(events.get(events.size() - 1)).isIn("error", "done");
    }
}
