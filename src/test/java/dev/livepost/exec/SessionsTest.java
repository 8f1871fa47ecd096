package dev.livepost.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livepost.LivepostException;
import dev.livepost.testing.Adversarial;
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
    static class Scripted implements Executor {
        volatile BiFunction<String, RunSink, RunOutcome> script = (code, sink) -> RunOutcome.ok();
        final List<String> ran = new ArrayList<>();
        final AtomicInteger interrupts = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        final CountDownLatch closing = new CountDownLatch(1);
        final AtomicInteger open = new AtomicInteger();
        volatile int room = Integer.MAX_VALUE;

        public String name() {
            return "scripted";
        }

        public ExecutorHealth health() {
            return ExecutorHealth.ok("scripted");
        }

        @Override
        public Capacity capacity() {
            return new Capacity(open.get(), 0, room, 0, 0, 0, -1, 0, false);
        }

        public ExecutorSession open(SessionSpec spec) {
            open.incrementAndGet();
            return new ExecutorSession() {
                private final java.util.concurrent.atomic.AtomicBoolean gone =
                        new java.util.concurrent.atomic.AtomicBoolean();

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
                    if (!gone.getAndSet(true)) {
                        open.decrementAndGet();
                    }
                    closed.incrementAndGet();
                    closing.countDown();
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
                                Duration.ofMinutes(5),
                                Duration.ofSeconds(30),
                                100,
                                1000,
                                50,
                                120,
                                3,
                                Duration.ofMillis(300)),
                        data,
                        Clock.systemUTC(),
                        new SimpleMeterRegistry());
    }

    @AfterEach
    void stop() {
        sessions.close();
    }

    /** Collects a run's events; {@code closed} once the stream was ended. */
    static class Collected implements EventSink {
        final List<RunEvent> events = new ArrayList<>();
        boolean closed;

        @Override
        public synchronized void send(RunEvent event) {
            events.add(event);
            notifyAll();
        }

        /** The first event of a type, waiting up to 5 s for it to be sent. */
        synchronized RunEvent await(Class<? extends RunEvent> type) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (true) {
                for (RunEvent e : events) {
                    if (type.isInstance(e)) {
                        return e;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no " + type.getSimpleName() + " in " + events);
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }

        @Override
        public synchronized void close() {
            closed = true;
        }
    }

    private List<RunEvent> run(String token, String code) {
        var out = new Collected();
        sessions.start(token, code).stream(out);
        assertThat(out.closed).isTrue();
        return out.events;
    }

    private String open() {
        return sessions.create(SPEC, List.of(), null, "client").session();
    }

    private static List<String> notices(List<RunEvent> events) {
        return events.stream()
                .filter(e -> e instanceof RunEvent.Notice)
                .map(e -> ((RunEvent.Notice) e).message())
                .toList();
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
        String token = sessions.create(SPEC, List.of("setup"), null, "client").session();
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
    void setupChainRunsInOrderBeforeTheFirstRun() {
        String token = sessions.create(SPEC, List.of("base", "setup"), null, "client").session();
        run(token, "main");
        run(token, "again");
        assertThat(executor.ran).containsExactly("base", "setup", "main", "again");
    }

    @Test
    void stateLostDuringARunReplaysSetupBeforeTheNextRunOnly() {
        executor.script =
                (code, sink) ->
                        code.equals("oom")
                                ? new RunOutcome.Finished(
                                        RunStatus.KILLED, 137, new StateLoss.OutOfMemory(512 << 20))
                                : RunOutcome.ok();
        String token = sessions.create(SPEC, List.of("setup"), null, "client").session();
        List<RunEvent> killed = run(token, "oom");
        assertThat(notices(killed))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("memory limit of 512 MB", "variables and files", "setup code runs again");
        assertThat(((RunEvent.Done) killed.get(killed.size() - 1)).status())
                .isEqualTo(RunStatus.KILLED);
        run(token, "next");
        run(token, "last");
        assertThat(executor.ran).containsExactly("setup", "oom", "setup", "next", "last");
    }

    @Test
    void stateFoundLostBeforeTheCodeRanReplaysSetupThenRunsTheCode() {
        var lostOnce = new AtomicInteger();
        executor.script =
                (code, sink) -> {
                    if (code.equals("main") && lostOnce.getAndIncrement() == 0) {
                        return new RunOutcome.Lost(new StateLoss.ContainerReplaced());
                    }
                    sink.emit(new RunEvent.Stdout(code + "\n"));
                    return RunOutcome.ok();
                };
        String token = sessions.create(SPEC, List.of("setup"), null, "client").session();
        run(token, "first");
        List<RunEvent> events = run(token, "main");

        assertThat(executor.ran).containsExactly("setup", "first", "main", "setup", "main");
        assertThat(notices(events))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("container", "setup code runs again");
        assertThat(events).contains(new RunEvent.Stdout("main\n"));
        assertThat(((RunEvent.Done) events.get(events.size() - 1)).status())
                .isEqualTo(RunStatus.OK);
    }

    @Test
    void aTimeoutThatKeptStateDoesNotReplaySetup() {
        executor.script =
                (code, sink) ->
                        code.equals("slow")
                                ? new RunOutcome.Finished(RunStatus.TIMEOUT, 124)
                                : RunOutcome.ok();
        String token =
                sessions.create(SPEC, List.of("setup"), Duration.ofSeconds(2), "client").session();
        List<RunEvent> slow = run(token, "slow");
        run(token, "next");

        assertThat(executor.ran).containsExactly("setup", "slow", "next");
        assertThat(notices(slow))
                .containsExactly("The run passed its time limit of 2 s and was interrupted.");
    }

    @Test
    void aStateLostAgainAndAgainEndsTheRunWithAnError() {
        executor.script = (code, sink) -> new RunOutcome.Lost(new StateLoss.SandboxStopped());
        List<RunEvent> events = run(open(), "x");
        assertThat(events.get(events.size() - 1))
                .isInstanceOfSatisfying(
                        RunEvent.Error.class, e -> assertThat(e.code()).isEqualTo("state_lost"));
        assertThat(executor.ran).hasSize(2);
    }

    @Adversarial
    @Test
    void theServersTimeLimitCapsTheArtifacts() {
        var timeouts = new ArrayList<Duration>();
        Executor recording =
                new Scripted() {
                    @Override
                    public ExecutorSession open(SessionSpec spec) {
                        ExecutorSession inner = super.open(spec);
                        return new ExecutorSession() {
                            public RunOutcome run(RunRequest request, RunSink sink) {
                                timeouts.add(request.timeout());
                                return inner.run(request, sink);
                            }

                            public void interrupt() {}

                            public void close() {}
                        };
                    }
                };
        try (var capped =
                new Sessions(
                        recording,
                        new Sessions.Settings(
                                Duration.ofMinutes(5),
                                Duration.ofSeconds(30),
                                100,
                                1000,
                                50,
                                120,
                                3,
                                Duration.ofMillis(300)),
                        data.resolve("capped"),
                        Clock.systemUTC(),
                        new SimpleMeterRegistry())) {
            for (Duration asked : List.of(Duration.ofSeconds(600), Duration.ofSeconds(5))) {
                var out = new Collected();
                capped.start(capped.create(SPEC, List.of(), asked, "client").session(), "x").stream(
                        out);
            }
        }
        assertThat(timeouts).containsExactly(Duration.ofSeconds(30), Duration.ofSeconds(5));
    }

    private String open(String client, List<String> setup) {
        return sessions.create(SPEC, setup, null, client).session();
    }

    @Test
    void aFullServerEvictsTheIdleSessionThatRanLeastRecently() {
        executor.room = 2;
        String a = open("one", List.of("setup-a"));
        String b = open("two", List.of());
        run(a, "a1");
        run(b, "b1");

        String c = open("three", List.of());
        assertThat(executor.open).hasValue(2);
        run(c, "c1");
        List<RunEvent> again = run(a, "a2"); // a sandbox again: b ran before c, so b goes

        assertThat(notices(again))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("idle while the server needed its sandbox", "setup code runs again");
        assertThat(executor.ran).containsExactly("setup-a", "a1", "b1", "c1", "setup-a", "a2");
        assertThat(notices(run(b, "b2"))).singleElement().asString().contains("idle");
    }

    @Adversarial
    @Test
    void oneClientBeyondItsCapEvictsItsOwnOldestIdleSessionOnly() {
        String other = open("other", List.of());
        run(other, "o1");
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < 4; i++) { // the cap is 3
            mine.add(open("me", List.of()));
            run(mine.get(i), "m" + i);
        }
        assertThat(executor.open).hasValue(4);
        assertThat(notices(run(other, "o2"))).isEmpty();
        assertThat(notices(run(mine.get(0), "m0 again")))
                .singleElement()
                .asString()
                .contains("idle");
    }

    /** Runs that say they started, then stay busy until {@code release}. */
    private static BiFunction<String, RunSink, RunOutcome> busyUntil(
            CountDownLatch entered, CountDownLatch release) {
        return (code, sink) -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return RunOutcome.ok();
        };
    }

    @Adversarial
    @Test
    void aClientWhoseSessionsAreAllBusyIsToldToWait() throws Exception {
        var release = new CountDownLatch(1);
        var entered = new CountDownLatch(3);
        executor.script = busyUntil(entered, release);
        var running = new ArrayList<CompletableFuture<List<RunEvent>>>();
        for (int i = 0; i < 3; i++) {
            String t = open("me", List.of());
            running.add(CompletableFuture.supplyAsync(() -> run(t, "busy")));
        }
        assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
        assertThatThrownBy(() -> open("me", List.of()))
                .isInstanceOfSatisfying(
                        LivepostException.class,
                        e -> {
                            assertThat(e.status()).isEqualTo(429);
                            assertThat(e.code()).isEqualTo("too_many_sessions");
                            assertThat(e.retryAfterSeconds()).isPositive();
                        });
        release.countDown();
        CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
    }

    @Test
    void whenEverySessionIsBusyARunWaitsInLineToldItsPlaceUntilARunEnds() throws Exception {
        executor.room = 1;
        var release = new CountDownLatch(1);
        var entered = new CountDownLatch(1);
        executor.script = busyUntil(entered, release);
        String busy = open("one", List.of());
        var running = CompletableFuture.supplyAsync(() -> run(busy, "busy"));
        assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();

        // No sandbox is free: the session is made without one, and its run waits in line until
        // the wait runs out.
        List<RunEvent> gaveUp = run(open("two", List.of()), "x");
        assertThat(gaveUp.get(1)).isEqualTo(new RunEvent.Queued(1));
        assertThat(gaveUp.get(gaveUp.size() - 1))
                .isInstanceOfSatisfying(
                        RunEvent.Error.class, e -> assertThat(e.code()).isEqualTo("executor_busy"));
        assertThat(executor.ran).doesNotContain("x");

        // The next one is served as soon as the busy run ends: that session turns idle and is
        // evicted for it.
        var waiting = new Collected();
        Run three = sessions.start(open("three", List.of()), "y");
        var streamed = CompletableFuture.runAsync(() -> three.stream(waiting));
        assertThat(waiting.await(RunEvent.Queued.class)).isEqualTo(new RunEvent.Queued(1));
        release.countDown();
        streamed.get(5, TimeUnit.SECONDS);
        assertThat(waiting.events.get(waiting.events.size() - 1))
                .isInstanceOfSatisfying(
                        RunEvent.Done.class, d -> assertThat(d.status()).isEqualTo(RunStatus.OK));
        assertThat(executor.ran).contains("y");
        running.get(5, TimeUnit.SECONDS);
        assertThat(notices(run(busy, "again")))
                .singleElement()
                .asString()
                .contains("idle while the server needed its sandbox");
    }

    @Test
    void anInterruptBeforeTheCodeStartsStopsTheRunWithoutRunningIt() {
        String token = open();
        var out = new Collected();
        Run run = sessions.start(token, "x");
        sessions.interrupt(token);
        run.stream(out);

        assertThat(executor.ran).isEmpty();
        assertThat(((RunEvent.Done) out.events.get(out.events.size() - 1)).status())
                .isEqualTo(RunStatus.INTERRUPTED);
        assertThat(run.completion()).isCompletedWithValue(out.events.get(out.events.size() - 1));
    }

    @Adversarial
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

    @Adversarial
    @Test
    void noticesFromTheSandboxCountAgainstTheOutputLimit() {
        executor.script =
                (code, sink) -> {
                    for (int i = 0; i < 30; i++) {
                        sink.emit(new RunEvent.Notice("0123456789")); // forged by reader code
                    }
                    return new RunOutcome.Finished(RunStatus.OK, 0);
                };
        List<String> notices = notices(run(open(), "x"));

        assertThat(notices).hasSize(11);
        assertThat(notices.subList(0, 10)).containsOnly("0123456789");
        assertThat(notices.get(10)).isEqualTo(Notices.outputLimit(100));
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
                    sink.file("../../etc/plot.png", "text/html", PNG);
                    sink.file("big.bin", null, new byte[51]);
                    return RunOutcome.ok();
                };
        String token = open();
        List<RunEvent> events = run(token, "x");
        String html = ((RunEvent.Display) events.get(1)).mime().get("text/html");
        assertThat(html).contains("<td>1</td>").doesNotContain("script", "onclick");
        var file = (RunEvent.File) events.get(2);
        assertThat(file.name()).isEqualTo("plot.png");
        assertThat(file.mime()).isEqualTo("image/png"); // not the sandbox's word
        assertThat(Files.readAllBytes(sessions.file(token, file.id()).path())).isEqualTo(PNG);
        assertThat(events.get(3)).isInstanceOf(RunEvent.Notice.class);
    }

    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0};

    @Adversarial
    @Test
    void aFileIsServedAsWhatItIsNotAsItIsNamed() {
        executor.script =
                (code, sink) -> {
                    sink.file("fake.png", "image/png", "<script>x</script>".getBytes());
                    return RunOutcome.ok();
                };
        var file = (RunEvent.File) run(open(), "x").get(1);
        assertThat(file.mime()).isEqualTo("application/octet-stream");
    }

    @Adversarial
    @Test
    void displayedValuesCountAgainstTheOutputLimit() {
        executor.script =
                (code, sink) -> {
                    for (int i = 0; i < 10; i++) {
                        sink.emit(new RunEvent.Display(Map.of("text/plain", "x".repeat(30))));
                    }
                    return RunOutcome.ok();
                };
        List<RunEvent> events = run(open(), "x");
        assertThat(events).filteredOn(e -> e instanceof RunEvent.Display).hasSize(3);
        assertThat(notices(events)).singleElement().asString().contains("limit of 100 bytes");
        assertThat(executor.interrupts).hasValue(1);
    }

    @Adversarial
    @Test
    void aDisplayThatGrowsWhenSanitizedIsCountedAsItGrew() {
        // 40 characters of markup-like text become 160 when escaped.
        executor.script =
                (code, sink) -> {
                    sink.emit(new RunEvent.Display(Map.of("text/html", "<".repeat(40))));
                    return RunOutcome.ok();
                };
        List<RunEvent> events = run(open(), "x");
        assertThat(events).noneMatch(e -> e instanceof RunEvent.Display);
        assertThat(notices(events)).singleElement().asString().contains("limit of 100 bytes");
    }

    @Adversarial
    @Test
    void filesPerRunAreCappedByTheServer() {
        executor.script =
                (code, sink) -> {
                    for (int i = 0; i < RunOutput.MAX_FILES_PER_RUN + 5; i++) {
                        sink.file("f" + i + ".txt", null, new byte[1]);
                    }
                    return RunOutcome.ok();
                };
        List<RunEvent> events = run(open(), "x");
        assertThat(events)
                .filteredOn(e -> e instanceof RunEvent.File)
                .hasSize(RunOutput.MAX_FILES_PER_RUN);
        assertThat(notices(events)).singleElement().asString().contains("more than 20 files");
    }

    @Adversarial
    @Test
    void theSessionsDiskQuotaMakesRoomByDroppingEarlierRunsFiles() {
        executor.script =
                (code, sink) -> {
                    for (int i = 0; i < 3; i++) {
                        sink.file(code + i + ".bin", null, new byte[40]);
                    }
                    return RunOutcome.ok();
                };
        String token = open();
        List<RunEvent> first = run(token, "a");
        List<RunEvent> second = run(token, "b");

        // 120 bytes of quota: the second run's three files push out the first run's.
        assertThat(second).filteredOn(e -> e instanceof RunEvent.File).hasSize(3);
        for (RunEvent e : first) {
            if (e instanceof RunEvent.File f) {
                assertThatThrownBy(() -> sessions.file(token, f.id()))
                        .hasFieldOrPropertyWithValue("status", 404);
            }
        }
        executor.script =
                (code, sink) -> {
                    sink.file("huge.bin", null, new byte[50]);
                    sink.file("more.bin", null, new byte[50]);
                    sink.file("last.bin", null, new byte[50]);
                    return RunOutcome.ok();
                };
        assertThat(notices(run(token, "c")))
                .singleElement()
                .asString()
                .contains("limit of 0 MB", "last.bin");
    }

    @Adversarial
    @Test
    void aSessionDeletedWhileItsRunWritesFilesKeepsNoFile() throws Exception {
        var wrote = new CountDownLatch(1);
        var deleted = new CountDownLatch(1);
        executor.script =
                (code, sink) -> {
                    sink.file("before.txt", null, new byte[1]);
                    wrote.countDown();
                    try {
                        deleted.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    sink.file("after.txt", null, new byte[1]);
                    return RunOutcome.ok();
                };
        String token = open();
        var running = CompletableFuture.runAsync(() -> run(token, "x"));
        assertThat(wrote.await(5, TimeUnit.SECONDS)).isTrue();
        sessions.delete(token);
        deleted.countDown();
        running.get(5, TimeUnit.SECONDS);
        try (var left = Files.walk(data.resolve("sessions"))) {
            assertThat(left.filter(Files::isRegularFile)).isEmpty();
        }
    }

    @Test
    void refusals() {
        String token = open();
        assertThatThrownBy(() -> sessions.start("nope", "x"))
                .hasFieldOrPropertyWithValue("status", 404);
        assertThatThrownBy(() -> sessions.start(token, "x".repeat(1001)))
                .hasFieldOrPropertyWithValue("status", 413);
        var held = sessions.start(token, "x");
        assertThatThrownBy(() -> sessions.start(token, "y"))
                .hasFieldOrPropertyWithValue("status", 409);
        held.close();
        assertThat(held.completion()).isCompletedWithValue(null);
        sessions.start(token, "z").close(); // the slot was free again
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
                        // Like a sandbox, the run ends when its session is closed.
                        executor.closing.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return new RunOutcome.Failed("session_closed", "closed");
                };
        String token = open();
        var out = new Collected();
        Run run = sessions.start(token, "x");
        var running = CompletableFuture.runAsync(() -> run.stream(out));
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        sessions.close();

        // By the time close returns, the stream has its last event and was ended.
        synchronized (out) {
            assertThat(out.closed).isTrue();
            assertThat(out.events).last().isInstanceOf(RunEvent.Error.class);
        }
        assertThat(run.completion()).isCompleted();
        running.get(5, TimeUnit.SECONDS);
        assertThatThrownBy(() -> sessions.create(SPEC, List.of(), null, "client"))
                .isInstanceOfSatisfying(
                        LivepostException.class, e -> assertThat(e.status()).isEqualTo(503));
    }

    @Test
    void stopLetsRunsEndWithinTheGraceThenStopsTheRestWithServerStopping() throws Exception {
        var release = new CountDownLatch(1);
        var started = new CountDownLatch(2);
        executor.script =
                (code, sink) -> {
                    started.countDown();
                    try {
                        if (code.equals("ends")) {
                            release.await();
                            return RunOutcome.ok();
                        }
                        // Ignores the interrupt, as code in a tight loop may: ends with its
                        // sandbox.
                        executor.closing.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return new RunOutcome.Failed("session_closed", "closed");
                };
        var ending = new Collected();
        var stuck = new Collected();
        Run endingRun = sessions.start(open(), "ends");
        Run stuckRun = sessions.start(open(), "stuck");
        CompletableFuture.runAsync(() -> endingRun.stream(ending));
        CompletableFuture.runAsync(() -> stuckRun.stream(stuck));
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

        Duration grace = Duration.ofMillis(300);
        long begin = System.nanoTime();
        var stopping = CompletableFuture.runAsync(() -> sessions.stop(grace));
        release.countDown();
        stopping.get(15, TimeUnit.SECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - begin);

        synchronized (ending) {
            assertThat(ending.closed).isTrue();
            assertThat(ending.events).last().isInstanceOf(RunEvent.Done.class);
        }
        synchronized (stuck) {
            assertThat(stuck.closed).isTrue();
            assertThat(stuck.events)
                    .last()
                    .isInstanceOfSatisfying(
                            RunEvent.Error.class,
                            e -> assertThat(e.code()).isEqualTo("server_stopping"));
        }
        assertThat(executor.interrupts).hasValue(1); // the stuck run only
        assertThat(took).isGreaterThanOrEqualTo(grace.plus(Sessions.STOP_INTERRUPT_WAIT));
        assertThatThrownBy(() -> sessions.create(SPEC, List.of(), null, "client"))
                .isInstanceOfSatisfying(
                        LivepostException.class, e -> assertThat(e.status()).isEqualTo(503));
    }

    @Test
    void nextRunMayStartAsSoonAsDoneArrives() {
        String token = open();
        var second = new Collected();
        sessions.start(token, "first").stream(
                new Collected() {
                    @Override
                    public void send(RunEvent e) {
                        if (e instanceof RunEvent.Done) {
                            sessions.start(token, "second").stream(second);
                        }
                    }
                });
        assertThat(second.events).last().isInstanceOf(RunEvent.Done.class);
        assertThat(executor.ran).containsExactly("first", "second");
    }

    @Test
    void stdinIsForTheRunningCodeWhereTheExecutorTakesIt() throws Exception {
        String token = open();
        assertThat(sessions.stdin(token, "x\n", false)).isEqualTo(StdinOutcome.NO_RUN);
        var release = new CountDownLatch(1);
        var entered = new CountDownLatch(1);
        executor.script = busyUntil(entered, release);
        var running = CompletableFuture.supplyAsync(() -> run(token, "busy"));
        assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();

        // The scripted executor, like the anthropic one, has no standard input for the code.
        assertThat(sessions.stdin(token, "x\n", true)).isEqualTo(StdinOutcome.UNSUPPORTED);
        // The per-run cap counts what was sent before.
        assertThat(sessions.stdin(token, "y".repeat(Sessions.STDIN_BYTES_PER_RUN - 1), false))
                .isEqualTo(StdinOutcome.OVER_LIMIT);
        assertThatThrownBy(() -> sessions.stdin("no-such-token", "x", false))
                .isInstanceOfSatisfying(
                        LivepostException.class, e -> assertThat(e.status()).isEqualTo(404));

        release.countDown();
        running.get(5, TimeUnit.SECONDS);
        assertThat(sessions.stdin(token, "x\n", false)).isEqualTo(StdinOutcome.NO_RUN);
    }
}
