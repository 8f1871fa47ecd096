package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.exec.RunStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An artifact's setup code runs again before the next run exactly when the session's state was
 * lost, whatever the run's status: the reader's variables are never overwritten by a setup that was
 * not needed, and never missing after one that was.
 */
class SetupReplayIT {
    @TempDir static Path data;
    static LocalSandboxes sandboxes;

    @BeforeAll
    static void start() {
        sandboxes =
                LocalSandboxes.available(
                        data, Map.of("LIVEPOST_POOL_SIZE", "2", "LIVEPOST_MEMORY_MB", "256"));
    }

    @AfterAll
    static void stop() {
        sandboxes.close();
    }

    /** A session whose setup sets {@code x = 'setup'}, after a run that set it to 'reader'. */
    private static String sessionWithReaderState() {
        String token =
                sandboxes
                        .sessions
                        .create(
                                LocalSandboxes.SPEC,
                                List.of("x = 'setup'"),
                                Duration.ofSeconds(2),
                                "client")
                        .session();
        assertThat(sandboxes.run(token, "print(x)\nx = 'reader'").stdout()).isEqualTo("setup\n");
        return token;
    }

    @Test
    void aTimeoutWhoseInterruptWorkedKeepsTheReadersState() {
        String token = sessionWithReaderState();
        var slow = sandboxes.run(token, "import time\ntime.sleep(30)");
        assertThat(slow.done().status()).isEqualTo(RunStatus.TIMEOUT);
        assertThat(slow.notices()).doesNotContain("lost");

        assertThat(sandboxes.run(token, "print(x)").stdout()).isEqualTo("reader\n");
    }

    @Test
    void aTimeoutThatHadToKillReplaysSetupBeforeTheNextRun() {
        String token = sessionWithReaderState();
        var stuck =
                sandboxes.run(
                        token,
                        """
                        import time
                        while True:
                            try:
                                time.sleep(10)
                            except KeyboardInterrupt:
                                pass
                        """);
        assertThat(stuck.done().status()).isEqualTo(RunStatus.TIMEOUT);
        assertThat(stuck.notices()).contains("were lost", "setup code runs again");

        var next = sandboxes.run(token, "print(x)");
        assertThat(next.stdout()).isEqualTo("setup\n");
        assertThat(next.done().status()).isEqualTo(RunStatus.OK);
    }

    @Test
    void aSandboxKilledForMemoryReplaysSetupBeforeTheNextRun() {
        String token = sessionWithReaderState();
        var hog =
                sandboxes.run(
                        token, "chunks = []\nwhile True:\n    chunks.append(b'x' * (16 << 20))");
        var next = sandboxes.run(token, "print(x)");
        if (hog.done().status() == RunStatus.KILLED) {
            assertThat(hog.notices()).contains("memory limit of 256 MB", "setup code runs again");
            assertThat(next.stdout()).isEqualTo("setup\n");
        } else {
            // Without a cgroup the rlimit turns the hog into a MemoryError; nothing was lost.
            assertThat(hog.stderr()).contains("MemoryError");
            assertThat(next.stdout()).isEqualTo("reader\n");
        }
    }

    @Test
    void aSandboxThatDiedBetweenRunsReplaysSetupBeforeTheCode() {
        String token = sessionWithReaderState();
        // Killed from outside while frozen (e.g. by the host's OOM killer): it dies as it thaws.
        assertThat(sandboxes.frozenKernel(token).destroyForcibly()).isTrue();

        var next = sandboxes.run(token, "print(x)");
        assertThat(next.notices()).contains("stopped", "setup code runs again");
        assertThat(next.stdout()).isEqualTo("setup\n");
        assertThat(next.done().status()).isEqualTo(RunStatus.OK);
    }
}
