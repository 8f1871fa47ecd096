package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livepost.LivepostException;
import dev.livepost.exec.RunStatus;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
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
                CompletableFuture.supplyAsync(
                        () -> sandboxes.run(token, "import time\ntime.sleep(1.5)\nprint('first')"));
        Thread.sleep(500);
        assertThatThrownBy(() -> sandboxes.sessions.prepare(token, "print('second')"))
                .isInstanceOfSatisfying(
                        LivepostException.class, e -> assertThat(e.status()).isEqualTo(409));
        assertThat(first.get().stdout()).isEqualTo("first\n");
        assertThat(first.get().done().status()).isEqualTo(RunStatus.OK);
        assertThat(sandboxes.run(token, "print('second')").stdout()).isEqualTo("second\n");
    }

    @Test
    void deletedSessionIsGoneWithItsSandbox() throws Exception {
        String token = sandboxes.open();
        sandboxes.run(token, "x = 1");
        Set<Long> before = sandboxProcesses();
        sandboxes.sessions.delete(token);
        assertThatThrownBy(() -> sandboxes.sessions.prepare(token, "print(x)"))
                .isInstanceOfSatisfying(
                        LivepostException.class, e -> assertThat(e.status()).isEqualTo(404));
        // The pool may start new sandboxes meanwhile; what matters is that one of the old ones
        // ended.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (sandboxProcesses().containsAll(before) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        Set<Long> ended = new HashSet<>(before);
        ended.removeAll(sandboxProcesses());
        assertThat(ended).isNotEmpty();
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
