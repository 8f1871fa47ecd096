package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.Config;
import dev.livepost.exec.Run;
import dev.livepost.exec.SessionSpec;
import dev.livepost.exec.Sessions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/** The real local executor and a {@link Sessions} over it, for integration tests. */
final class LocalSandboxes implements AutoCloseable {
    static final SessionSpec SPEC = new SessionSpec("post/fib", "python", false, List.of());

    final Config config;
    final LocalExecutor executor;
    final Sessions sessions;

    LocalSandboxes(Path data, Map<String, String> env) {
        this.config = Config.parse(List.of("--port", "0", "--data", data.toString()), env, data);
        this.executor = new LocalExecutor(config);
        this.sessions =
                new Sessions(
                        executor,
                        Sessions.Settings.of(config),
                        data,
                        Clock.systemUTC(),
                        new SimpleMeterRegistry());
    }

    /** Starts the sandboxes and fails the test unless the executor can run code. */
    static LocalSandboxes available(Path data, Map<String, String> env) {
        var sandboxes = new LocalSandboxes(data, env);
        assertThat(sandboxes.executor.health().available())
                .as(sandboxes.executor.health().detail())
                .isTrue();
        return sandboxes;
    }

    /** A new session. */
    String open() {
        return sessions.create(SPEC, List.of(), null).session();
    }

    /** Runs code in a session and returns its events. */
    Recorder run(String token, String code) {
        var recorder = new Recorder();
        sessions.start(token, code).stream(recorder);
        return recorder;
    }

    /** Starts code in a session on another thread; the recorder fills as the events come. */
    Recorder start(String token, String code) {
        var recorder = new Recorder();
        Run run = sessions.start(token, code);
        new Thread(() -> run.stream(recorder), "test-run-" + run.id()).start();
        return recorder;
    }

    @Override
    public void close() {
        sessions.close();
        executor.close();
    }
}
