package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.exec.RunStatus;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs code in the real bubblewrap sandbox through {@link dev.livepost.exec.Sessions}. */
class LocalExecutorIT {
    @TempDir static Path data;
    static LocalSandboxes sandboxes;

    @BeforeAll
    static void start() {
        sandboxes = new LocalSandboxes(data, Map.of("LIVEPOST_POOL_SIZE", "2"));
        assertThat(sandboxes.executor.health().available())
                .as(sandboxes.executor.health().detail())
                .isTrue();
    }

    @AfterAll
    static void stop() {
        sandboxes.close();
    }

    @Test
    void fibonacci() {
        var run =
                sandboxes.run(
                        sandboxes.open(),
                        """
                        a, b = 0, 1
                        for _ in range(15):
                            print(a)
                            a, b = b, a + b
                        """);
        assertThat(run.names()).first().isEqualTo("run");
        assertThat(run.stdout())
                .isEqualTo("0\n1\n1\n2\n3\n5\n8\n13\n21\n34\n55\n89\n144\n233\n377\n");
        assertThat(run.done().status()).isEqualTo(RunStatus.OK);
        assertThat(run.done().exitCode()).isZero();
    }
}
