package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Closing the executor stops every sandbox, pooled or in use, and what runs inside them. */
class ExecutorCloseIT {
    @TempDir Path data;

    @Test
    void closeLeavesNoProcessesBehind() throws Exception {
        var sandboxes = new LocalSandboxes(data, Map.of("LIVEPOST_POOL_SIZE", "2"));
        String token = sandboxes.open();
        var run =
                sandboxes.run(
                        token,
                        "import subprocess\nsubprocess.Popen(['/bin/sleep', '600'], start_new_session=True)");
        assertThat(run.stderr()).isEmpty();
        assertThat(sandboxProcesses())
                .anyMatch(p -> p.info().command().orElse("").endsWith("sleep"));
        // Closing the executor alone must be enough (App closes Sessions first, but also this).
        var running = sandboxProcesses();
        sandboxes.executor.close();
        CompletableFuture.allOf(
                        running.stream()
                                .map(ProcessHandle::onExit)
                                .toArray(CompletableFuture[]::new))
                .get(3, TimeUnit.SECONDS);
        assertThat(sandboxProcesses()).isEmpty();
        sandboxes.close();
    }

    private static List<ProcessHandle> sandboxProcesses() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
    }
}
