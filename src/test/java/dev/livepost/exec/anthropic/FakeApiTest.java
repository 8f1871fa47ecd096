package dev.livepost.exec.anthropic;

import dev.livepost.Config;
import dev.livepost.exec.RunOutcome;
import dev.livepost.exec.RunRequest;
import dev.livepost.exec.SessionSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the executor tests share: a {@link FakeAnthropic} per test, executors and sessions through
 * the real SDK pointed at it, closed after each test.
 */
abstract class FakeApiTest {
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    static final SessionSpec CODE = new SessionSpec("post/code", "python", false, List.of());
    static final SessionSpec PROMPT = new SessionSpec("post/ask", "python", true, List.of());

    @TempDir Path dir;
    FakeAnthropic fake;
    final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void start() {
        fake = new FakeAnthropic();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        fake.close();
    }

    Config config(String key) {
        return config(key, java.util.Map.of());
    }

    Config config(String key, java.util.Map<String, String> more) {
        var env = new HashMap<String, String>(more);
        if (key != null) {
            env.put("ANTHROPIC_API_KEY", key);
        }
        env.put("ANTHROPIC_BASE_URL", fake.baseUrl().toString());
        return Config.parse(
                List.of("--executor", "anthropic", "--data", dir.resolve("data").toString()),
                env,
                dir);
    }

    AnthropicExecutor executor(String key) {
        var e =
                new AnthropicExecutor(
                        config(key),
                        new AnthropicExecutor.Tuning(
                                Duration.ofSeconds(30), 5, Duration.ofSeconds(2), 4096));
        closeables.add(e);
        return e;
    }

    AnthropicSession session(SessionSpec spec) {
        return session(executor(FakeAnthropic.KEY), spec);
    }

    AnthropicSession session(AnthropicExecutor e, SessionSpec spec) {
        var s = (AnthropicSession) e.open(spec);
        closeables.add(s);
        return s;
    }

    /** An executor with these settings, counting into {@code metrics}, on {@code clock}. */
    AnthropicExecutor executor(
            java.util.Map<String, String> env,
            io.micrometer.core.instrument.MeterRegistry metrics,
            java.time.Clock clock) {
        var e =
                new AnthropicExecutor(
                        config(FakeAnthropic.KEY, env),
                        new AnthropicExecutor.Tuning(
                                Duration.ofSeconds(30), 5, Duration.ofSeconds(2), 4096),
                        metrics,
                        clock);
        closeables.add(e);
        return e;
    }

    static RunOutcome run(AnthropicSession s, String source, RecordingSink sink) {
        return run(s, source, sink, TIMEOUT);
    }

    static RunOutcome run(AnthropicSession s, String source, RecordingSink sink, Duration timeout) {
        return s.run(new RunRequest("r", source, timeout), sink);
    }

    /** The command a code-mode request asks Claude to run. */
    static String command(FakeAnthropic.Recorded r) {
        var user = new StringBuilder();
        r.body()
                .path("messages")
                .get(0)
                .path("content")
                .forEach(b -> user.append(b.path("text").asText("")));
        return user.substring("<command>\n".length(), user.length() - "\n</command>".length());
    }

    /** The file ids of a request's {@code container_upload} blocks. */
    static java.util.List<String> uploads(FakeAnthropic.Recorded r) {
        var ids = new ArrayList<String>();
        r.body()
                .path("messages")
                .get(0)
                .path("content")
                .forEach(
                        b -> {
                            if (b.path("type").asText().equals("container_upload")) {
                                ids.add(b.path("file_id").asText());
                            }
                        });
        return ids;
    }
}
