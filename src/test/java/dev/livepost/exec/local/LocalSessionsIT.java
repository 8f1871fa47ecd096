package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livepost.LivepostException;
import dev.livepost.exec.RunStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link dev.livepost.exec.Sessions} over the real local executor: one run at a time, delete,
 * expiry.
 */
class LocalSessionsIT {
    @TempDir static Path data;
    static LocalSandboxes sandboxes;

    @BeforeAll
    static void start() {
        sandboxes =
                new LocalSandboxes(
                        data, Map.of("LIVEPOST_POOL_SIZE", "1", "LIVEPOST_SESSION_IDLE", "2"));
    }

    @AfterAll
    static void stop() {
        sandboxes.close();
    }

    private static Set<Long> sandboxProcesses() {
        return ProcessHandle.current()
                .descendants()
                .filter(p -> p.info().command().orElse("").endsWith("python3.11"))
                .map(ProcessHandle::pid)
                .collect(Collectors.toSet());
    }

    @Test
    void secondConcurrentRunIsRefused() throws Exception {
        String token = sandboxes.open();
        var first =
                sandboxes.start(
                        token,
                        "import time\nprint('started', flush=True)\ntime.sleep(1)\nprint('first')");
        first.awaitStdout("started");
        assertThatThrownBy(() -> sandboxes.sessions.start(token, "print('second')"))
                .isInstanceOfSatisfying(
                        LivepostException.class, e -> assertThat(e.status()).isEqualTo(409));
        first.finished(Duration.ofSeconds(30));
        assertThat(first.stdout()).isEqualTo("started\nfirst\n");
        assertThat(first.done().status()).isEqualTo(RunStatus.OK);
        assertThat(sandboxes.run(token, "print('second')").stdout()).isEqualTo("second\n");
    }

    @Test
    void deletedSessionIsGoneWithItsSandbox() throws Exception {
        String token = sandboxes.open();
        sandboxes.run(token, "x = 1");
        // The pool's sandboxes live on; what matters is that one of these ends.
        var exits =
                sandboxProcesses().stream()
                        .map(pid -> ProcessHandle.of(pid).map(ProcessHandle::onExit))
                        .flatMap(java.util.Optional::stream)
                        .toArray(CompletableFuture[]::new);
        sandboxes.sessions.delete(token);
        assertThatThrownBy(() -> sandboxes.sessions.start(token, "print(x)"))
                .isInstanceOfSatisfying(
                        LivepostException.class, e -> assertThat(e.status()).isEqualTo(404));
        CompletableFuture.anyOf(exits).get(5, TimeUnit.SECONDS);
    }

    @Test
    void idleSessionExpires() throws Exception {
        String token = sandboxes.open();
        sandboxes.run(token, "x = 1");
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                sandboxes.sessions.spec(token);
                Thread.sleep(250);
            } catch (LivepostException e) {
                assertThat(e.status()).isEqualTo(404);
                return;
            }
        }
        throw new AssertionError("session did not expire");
    }
}
