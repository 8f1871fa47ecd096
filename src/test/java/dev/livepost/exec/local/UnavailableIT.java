package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livepost.Config;
import dev.livepost.LivepostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where bubblewrap cannot make namespaces (e.g. unprivileged Docker) the executor says so in one
 * line with the fix, and runs nothing. A stand-in bwrap fails the way the real one does there.
 */
class UnavailableIT {
    @TempDir Path dir;

    @Test
    void bwrapWithoutNamespacesMakesTheExecutorUnavailable() throws Exception {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        Path fake = bin.resolve("bwrap");
        Files.writeString(
                fake,
                "#!/bin/sh\necho 'bwrap: Creating new namespace failed: Operation not permitted' >&2\nexit 1\n");
        // The stand-in runs as the sandbox's uid when the server is root.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        var config =
                Config.parse(
                        List.of("--data", dir.resolve("data").toString()),
                        Map.of("LIVEPOST_POOL_SIZE", "1"),
                        dir);
        try (var executor = new LocalExecutor(config, fake)) {
            var health = executor.health();
            assertThat(health.available()).isFalse();
            assertThat(health.detail())
                    .doesNotContain("\n")
                    .contains("Creating new namespace failed")
                    .contains("systempaths=unconfined");
            assertThatThrownBy(() -> executor.open(LocalSandboxes.SPEC))
                    .isInstanceOfSatisfying(
                            LivepostException.class, e -> assertThat(e.status()).isEqualTo(503));
        }
    }

    @Test
    void missingBwrapNamesThePackage() {
        var config = Config.parse(List.of("--data", dir.toString()), Map.of(), dir);
        try (var executor = new LocalExecutor(config, dir.resolve("no-bwrap"))) {
            assertThat(executor.health().available()).isFalse();
            assertThat(executor.health().detail()).contains("apt-get install bubblewrap");
        }
    }
}
