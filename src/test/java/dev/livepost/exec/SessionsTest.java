package dev.livepost.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livepost.LivepostException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link Sessions} adds around any executor; the executor here is scripted per test. */
class SessionsTest {
    private static final SessionSpec SPEC = new SessionSpec("post/a", "python", false, List.of());

    @TempDir Path data;
    Scripted executor;
    Sessions sessions;

    /** An executor whose runs do what the test says: {@code (code, sink) -> outcome}. */
    static final class Scripted implements Executor {
        volatile BiFunction<String, RunSink, RunOutcome> script = (code, sink) -> RunOutcome.ok();
        final List<String> ran = new ArrayList<>();
        final AtomicInteger interrupts = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();

        public String name() {
            return "scripted";
        }

        public ExecutorHealth health() {
            return ExecutorHealth.ok("scripted");
        }

        public ExecutorSession open(SessionSpec spec) {
            return new ExecutorSession() {
                public RunOutcome run(RunRequest request, RunSink sink) {
                    synchronized (ran) {
                        ran.add(request.source());
                    }
                    return script.apply(request.source(), sink);
                }

                public void interrupt() {
                    interrupts.incrementAndGet();
                }

                public void close() {
                    closed.incrementAndGet();
                }
            };
        }

        public void close() {}
    }

    @BeforeEach
    void start() {
        executor = new Scripted();
        sessions =
                new Sessions(
                        executor,
                        new Sessions.Settings(
                                Duration.ofMinutes(5), Duration.ofSeconds(30), 100, 1000, 50),
                        data,
                        Clock.systemUTC(),
                        new SimpleMeterRegistry());
    }

    @AfterEach
    void stop() {
        sessions.close();
    }

    private List<RunEvent> run(String token, String code) {
        List<RunEvent> events = new ArrayList<>();
        sessions.prepare(token, code).stream(events::add);
        return events;
    }

    private String open() {
        return sessions.create(SPEC, null, null).session();
    }

    @Test
    void runIsFirstAndDoneLast() {
        executor.script =
                (code, sink) -> {
                    sink.emit(new RunEvent.Stdout("hi\n"));
                    return new RunOutcome.Finished(RunStatus.ERROR, 1);
                };
        String token = open();
        List<RunEvent> events = run(token, "x");
        assertThat(events).extracting(RunEvent::event).containsExactly("run", "stdout", "done");
        assertThat(((RunEvent.Run) events.get(0)).session()).isEqualTo(token);
        assertThat(((RunEvent.Done) events.get(2)).status()).isEqualTo(RunStatus.ERROR);
        assertThat(((RunEvent.Done) events.get(2)).exitCode()).isEqualTo(1);
    }

    @Test
    void failureOutsideTheCodeEndsWithError() {
        executor.script = (code, sink) -> new RunOutcome.Failed("executor_unavailable", "down");
        assertThat(run(open(), "x")).extracting(RunEvent::event).containsExactly("run", "error");
    }

    @Test
    void setupRunsOnceAndOnlyItsErrorsShow() {
        executor.script =
                (code, sink) -> {
                    sink.emit(new RunEvent.Stdout(code + " out\n"));
                    sink.emit(new RunEvent.Stderr(code + " err\n"));
                    return RunOutcome.ok();
                };
        String token = sessions.create(SPEC, "setup", null).session();
        List<RunEvent> first = run(token, "main");
        assertThat(first)
                .containsExactly(
                        first.get(0),
                        new RunEvent.Stderr("setup err\n"),
                        new RunEvent.Stdout("main out\n"),
                        new RunEvent.Stderr("main err\n"),
                        first.get(4));
        run(token, "again");
        assertThat(executor.ran).containsExactly("setup", "main", "again");
    }

    @Test
    void outputPastTheLimitIsCutAndTheRunInterrupted() {
        executor.script =
                (code, sink) -> {
                    for (int i = 0; i < 30; i++) {
                        sink.emit(new RunEvent.Stdout("0123456789"));
                    }
                    return new RunOutcome.Finished(RunStatus.INTERRUPTED, 130);
                };
        List<RunEvent> events = run(open(), "x");
        String out =
                events.stream()
                        .filter(e -> e instanceof RunEvent.Stdout)
                        .map(e -> ((RunEvent.Stdout) e).text())
                        .reduce("", String::concat);
        assertThat(out).hasSize(100);
        assertThat(events).filteredOn(e -> e instanceof RunEvent.Notice).hasSize(1);
        assertThat(executor.interrupts).hasValue(1);
    }

    @Test
    void displayHtmlIsSanitizedAndFilesAreKept() throws Exception {
        executor.script =
                (code, sink) -> {
                    sink.emit(
                            new RunEvent.Display(
                                    Map.of(
                                            "text/html",
                                            "<table><tr><td onclick=\"x()\">1</td></tr></table><script>alert(1)</script>")));
                    sink.file("../../etc/plot.png", null, new byte[] {1, 2, 3});
                    sink.file("big.bin", null, new byte[51]);
                    return RunOutcome.ok();
                };
        String token = open();
        List<RunEvent> events = run(token, "x");
        String html = ((RunEvent.Display) events.get(1)).mime().get("text/html");
        assertThat(html).contains("<td>1</td>").doesNotContain("script", "onclick");
        var file = (RunEvent.File) events.get(2);
        assertThat(file.name()).isEqualTo("plot.png");
        assertThat(file.mime()).isEqualTo("image/png");
        assertThat(Files.readAllBytes(sessions.file(token, file.id()).path()))
                .containsExactly(1, 2, 3);
        assertThat(events.get(3)).isInstanceOf(RunEvent.Notice.class);
    }

    @Test
    void refusals() {
        String token = open();
        assertThatThrownBy(() -> sessions.prepare("nope", "x"))
                .hasFieldOrPropertyWithValue("status", 404);
        assertThatThrownBy(() -> sessions.prepare(token, "x".repeat(1001)))
                .hasFieldOrPropertyWithValue("status", 413);
        var held = sessions.prepare(token, "x");
        assertThatThrownBy(() -> sessions.prepare(token, "y"))
                .hasFieldOrPropertyWithValue("status", 409);
        held.abandon();
        sessions.delete(token);
        assertThat(executor.closed).hasValue(1);
        assertThatThrownBy(() -> sessions.file(token, "id"))
                .hasFieldOrPropertyWithValue("status", 404);
    }

    @Test
    void closeWaitsForRunsToSendTheirLastEvent() throws Exception {
        var started = new CountDownLatch(1);
        executor.script =
                (code, sink) -> {
                    started.countDown();
                    try {
                        Thread.sleep(300);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return RunOutcome.ok();
                };
        String token = open();
        var running = CompletableFuture.supplyAsync(() -> run(token, "x"));
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        sessions.close();
        assertThat(running.isDone()).isTrue();
        assertThat(running.get().get(running.get().size() - 1)).isInstanceOf(RunEvent.Done.class);
        assertThatThrownBy(() -> sessions.create(SPEC, null, null))
                .isInstanceOfSatisfying(
                        LivepostException.class, e -> assertThat(e.status()).isEqualTo(503));
    }

    @Test
    void nextRunMayStartAsSoonAsDoneArrives() {
        String token = open();
        List<RunEvent> second = new ArrayList<>();
        sessions.prepare(token, "first").stream(
                e -> {
                    if (e instanceof RunEvent.Done) {
                        sessions.prepare(token, "second").stream(second::add);
                    }
                });
        assertThat(second).last().isInstanceOf(RunEvent.Done.class);
        assertThat(executor.ran).containsExactly("first", "second");
    }
}
