package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.ApiClient;
import dev.livepost.testing.TestApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an operator watches: {@code /metrics} after a few runs on the real server. */
class MetricsIT {
    @TempDir Path posts;

    @Test
    void metricsShowSessionsRunsSandboxesAndTheJvm() throws Exception {
        Files.writeString(
                posts.resolve("m.md"),
                "---\ntitle: m\ndate: 2026-01-01\n---\n::code-runner{id=a}\n```python\nprint(1)\n```\n");
        // No pool: its sandboxes wait frozen too, and one refilling would make the count vary.
        try (var app = TestApp.start(posts, Map.of("LIVEPOST_POOL_SIZE", "0"))) {
            var api = new ApiClient(app.base());
            String token = api.createSession("m/a");
            api.runCode(token, "print(1)");
            api.runCode(token, "1 / 0");

            String metrics = app.get("/metrics").body();

            assertThat(metrics)
                    .contains("livepost_sessions_active 1.0")
                    .contains("livepost_sessions_running 0.0")
                    .contains("livepost_sessions_idle 1.0")
                    .containsPattern(
                            "livepost_sandbox_starts_total\\{launcher=\"(zygote|bubblewrap)\"} [1-9]")
                    .containsPattern("livepost_zygote_up [01]")
                    .contains("livepost_zygote_restarts_total 0.0")
                    .contains("livepost_sandbox_pool_ready 0.0")
                    .contains("livepost_sandbox_start_waiting 0.0")
                    .contains("livepost_sandbox_start_turns_missed_total 0.0")
                    .contains("livepost_run_first_output_seconds_bucket")
                    .contains("livepost_run_duration_seconds_bucket")
                    .contains("livepost_runs_total{executor=\"local\",status=\"ok\"} 1.0")
                    .contains("livepost_runs_total{executor=\"local\",status=\"error\"} 1.0")
                    .contains("livepost_admission_waiting 0.0")
                    .containsPattern("livepost_sandboxes [1-9]")
                    .containsPattern("livepost_sandboxes_memory_bytes [1-9]")
                    .contains("livepost_sandboxes_frozen 1.0")
                    .contains("jvm_memory_used_bytes")
                    .contains("process_cpu_usage");
        }
    }
}
