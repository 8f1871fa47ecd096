package dev.livepost.exec.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.exec.EventSink;
import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunStatus;
import dev.livepost.exec.Sessions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * On the anthropic executor as on the local one, an artifact's setup code runs again exactly when
 * the session's state was lost: a restarted interpreter, a replaced container, a cell killed at its
 * time limit; never after a timeout whose interrupt worked.
 */
class AnthropicSetupReplayTest extends FakeApiTest {
    Sessions sessions;

    @BeforeEach
    void sessions() {
        sessions =
                new Sessions(
                        executor(FakeAnthropic.KEY),
                        new Sessions.Settings(
                                Duration.ofMinutes(5),
                                TIMEOUT,
                                1 << 20,
                                100_000,
                                16 << 20,
                                64 << 20,
                                10,
                                Duration.ofSeconds(5)),
                        dir.resolve("sessions"),
                        Clock.systemUTC(),
                        new SimpleMeterRegistry());
        closeables.add(0, sessions);
    }

    /** A run's events, in order. */
    static final class Events implements EventSink {
        final List<RunEvent> all = new ArrayList<>();

        @Override
        public void send(RunEvent event) {
            all.add(event);
        }

        @Override
        public void close() {}

        String stdout() {
            return all.stream()
                    .filter(e -> e instanceof RunEvent.Stdout)
                    .map(e -> ((RunEvent.Stdout) e).text())
                    .collect(Collectors.joining());
        }

        String notices() {
            return all.stream()
                    .filter(e -> e instanceof RunEvent.Notice)
                    .map(e -> ((RunEvent.Notice) e).message())
                    .collect(Collectors.joining("\n"));
        }

        RunStatus status() {
            return ((RunEvent.Done) all.get(all.size() - 1)).status();
        }
    }

    private Events run(String token, String code) {
        var events = new Events();
        sessions.start(token, code).stream(events);
        return events;
    }

    /** A session whose setup sets {@code x = 'setup'}, after a run that set it to 'reader'. */
    private String sessionWithReaderState(Duration timeout) {
        String token = sessions.create(CODE, List.of("x = 'setup'"), timeout, "client").session();
        assertThat(run(token, "print(x)\nx = 'reader'").stdout()).isEqualTo("setup\n");
        return token;
    }

    @Test
    void aRestartedInterpreterReplaysSetupBeforeTheCodeRuns() {
        String token = sessionWithReaderState(null);
        var sessionContainer = fake.containerIds().get(0);
        fake.container(sessionContainer).killProcesses(); // like a checkpoint restore

        var next = run(token, "print(x)");

        assertThat(next.stdout()).isEqualTo("setup\n");
        assertThat(next.status()).isEqualTo(RunStatus.OK);
        assertThat(next.notices()).contains("interpreter", "files were kept", "setup code");
    }

    @Test
    void aReplacedContainerReplaysSetupBeforeTheCodeRuns() {
        String token = sessionWithReaderState(null);
        fake.expire(fake.containerIds().get(0));

        var next = run(token, "print(x)");

        assertThat(next.stdout()).isEqualTo("setup\n");
        assertThat(next.status()).isEqualTo(RunStatus.OK);
        assertThat(next.notices()).contains("container", "variables and files", "setup code");
    }

    @Test
    void aTimeoutWhoseInterruptWorkedKeepsTheReadersState() {
        String token = sessionWithReaderState(Duration.ofSeconds(2));
        var slow = run(token, "import time\ntime.sleep(30)");
        assertThat(slow.status()).isEqualTo(RunStatus.TIMEOUT);
        assertThat(slow.notices()).doesNotContain("lost");

        assertThat(run(token, "print(x)").stdout()).isEqualTo("reader\n");
    }

    @Test
    void aCellKilledAtItsTimeLimitReplaysSetupBeforeTheNextRun() {
        String token = sessionWithReaderState(Duration.ofSeconds(2));
        var stuck =
                run(
                        token,
                        """
                        import time
                        while True:
                            try:
                                time.sleep(10)
                            except KeyboardInterrupt:
                                pass
                        """);
        assertThat(stuck.status()).isEqualTo(RunStatus.TIMEOUT);
        assertThat(stuck.notices()).contains("were lost", "setup code runs again");

        var next = run(token, "print(x)");
        assertThat(next.stdout()).isEqualTo("setup\n");
        assertThat(next.status()).isEqualTo(RunStatus.OK);
    }

    @Test
    void anInterpreterKilledForMemoryReplaysSetupBeforeTheNextRun() {
        String token = sessionWithReaderState(null);
        var hog = run(token, "chunks = []\nwhile True:\n    chunks.append(b'x' * (16 << 20))");
        var next = run(token, "print(x)");
        if (hog.status() == RunStatus.KILLED) {
            assertThat(hog.notices()).contains("interpreter", "setup code runs again");
            assertThat(next.stdout()).isEqualTo("setup\n");
        } else {
            // Without a cgroup the rlimit turns the hog into a MemoryError; nothing was lost.
            assertThat(hog.status()).isEqualTo(RunStatus.ERROR);
            assertThat(next.stdout()).isEqualTo("reader\n");
        }
        assertThat(next.status()).isEqualTo(RunStatus.OK);
    }

    @Test
    void aTracebackIntoAnEarlierCellShowsThatCellsLine() {
        String token = sessions.create(CODE, List.of(), null, "client").session();
        run(token, "def f():\n    return 1 / 0\n");
        var failed = run(token, "x = 1\nf()");

        String stderr =
                failed.all.stream()
                        .filter(e -> e instanceof RunEvent.Stderr)
                        .map(e -> ((RunEvent.Stderr) e).text())
                        .collect(Collectors.joining());
        assertThat(stderr)
                .contains("<cell-2>\", line 2", "f()")
                .contains("<cell-1>\", line 2", "return 1 / 0", "ZeroDivisionError");
        assertThat(failed.status()).isEqualTo(RunStatus.ERROR);
    }
}
