package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.exec.RunStatus;
import dev.livepost.testing.Adversarial;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run past its time limit is interrupted, and killed with its sandbox if that is not enough. */
@Adversarial
class TimeoutIT {
    @TempDir static Path data;
    static LocalSandboxes sandboxes;

    @BeforeAll
    static void start() {
        sandboxes = new LocalSandboxes(data, Map.of("LIVEPOST_POOL_SIZE", "1"));
    }

    @AfterAll
    static void stop() {
        sandboxes.close();
    }

    private static String session() {
        return sandboxes
                .sessions
                .create(LocalSandboxes.SPEC, List.of(), Duration.ofSeconds(2), "client")
                .session();
    }

    @Test
    void interruptibleRunTimesOutAndKeepsState() {
        String token = session();
        sandboxes.run(token, "x = 7");
        var run = sandboxes.run(token, "import time\ntime.sleep(30)");
        assertThat(run.done().status()).isEqualTo(RunStatus.TIMEOUT);
        assertThat(run.done().exitCode()).isEqualTo(124);
        assertThat(run.notices()).contains("time limit of 2 s");
        assertThat(sandboxes.run(token, "print(x)").stdout()).isEqualTo("7\n");
    }

    @Test
    void runIgnoringInterruptIsKilledAndStateIsLost() {
        String token = session();
        sandboxes.run(token, "x = 7");
        long start = System.nanoTime();
        var run =
                sandboxes.run(
                        token,
                        """
                        import time
                        while True:
                            try:
                                time.sleep(10)
                            except KeyboardInterrupt:
                                print('ignored', flush=True)
                        """);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(run.done().status()).isEqualTo(RunStatus.TIMEOUT);
        assertThat(run.stdout()).isEqualTo("ignored\n");
        assertThat(run.notices()).contains("restarted", "lost");
        var after = sandboxes.run(token, "print(x)");
        assertThat(after.stderr()).contains("NameError");
        assertThat(after.notices()).isEmpty();
    }
}
