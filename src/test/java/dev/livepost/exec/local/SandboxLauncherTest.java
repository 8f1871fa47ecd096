package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livepost.Limits;
import dev.livepost.LivepostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line a sandbox starts with, and the turns to start (no sandbox is started here). */
class SandboxLauncherTest {
    @TempDir Path data;

    @Test
    void aSandboxWhoseTurnToStartDoesNotComeIsRefusedWithRetryAfter() throws Exception {
        var limits = Limits.defaults();
        var launcher =
                new SandboxLauncher(
                        limits,
                        SandboxLauncher.BWRAP,
                        new SandboxLimits.RlimitsOnly(limits),
                        data,
                        data.resolve("f.bpf"),
                        "test",
                        SandboxIds.detect());
        // Every turn is taken, as by sandboxes that are starting.
        launcher.starting.acquire(SandboxLauncher.STARTS_AT_ONCE);
        var waiting =
                new Thread(
                        () ->
                                assertThatThrownBy(
                                                () ->
                                                        launcher.start(
                                                                Duration.ofSeconds(30),
                                                                Duration.ofSeconds(30)))
                                        .isInstanceOf(LivepostException.class));
        waiting.start();
        while (launcher.waitingToStart() == 0) {
            Thread.onSpinWait(); // until the first one is in line
        }
        assertThatThrownBy(() -> launcher.start(Duration.ofMillis(100), Duration.ofSeconds(30)))
                .isInstanceOfSatisfying(
                        LivepostException.class,
                        e -> {
                            assertThat(e.status()).isEqualTo(503);
                            assertThat(e.code()).isEqualTo("executor_busy");
                            assertThat(e.retryAfterSeconds()).isPositive();
                        });
        assertThat(launcher.missedTurns()).isEqualTo(1);
        assertThat(launcher.waitingToStart()).isEqualTo(1);
        waiting.interrupt();
        waiting.join();
    }

    @Test
    void commandDropsPrivilegesAndIsolatesEverything() {
        var limits = Limits.defaults();
        var rlimits = new SandboxLimits.RlimitsOnly(limits);
        var launcher =
                new SandboxLauncher(
                        limits,
                        SandboxLauncher.BWRAP,
                        rlimits,
                        data,
                        data.resolve("f.bpf"),
                        "test",
                        SandboxIds.detect());
        List<String> cmd =
                launcher.command(
                        rlimits.create("x"), launcher.root() ? 200_001 : -1, List.of("python"));
        String line = String.join(" ", cmd);
        assertThat(cmd.subList(0, 2)).containsExactly("/bin/sh", "-c");
        assertThat(cmd.get(2))
                .contains("exec \"$@\" 3<")
                .contains(" 6<'" + data.resolve("f.bpf") + "'");
        assertThat(line)
                .contains("/usr/bin/prlimit --fsize=" + limits.fileSizeBytes())
                .contains("--nofile=" + limits.openFiles())
                .contains("--as=") // no cgroup: memory capped per process
                .contains(
                        "/usr/bin/bwrap --unshare-all --unshare-user --disable-userns --die-with-parent --new-session --clearenv")
                .contains("--ro-bind /usr /usr")
                .contains(
                        "--size "
                                + limits.workDiskBytes()
                                + " --tmpfs /work --dir /work/.tmp --symlink /work/.tmp /tmp")
                .contains("--ro-bind /dev/null /proc/cmdline")
                .contains("--symlink /work/.tmp /dev/shm --remount-ro /dev")
                .doesNotContain("--dev /dev", "--tmpfs /tmp")
                .contains("--seccomp 6")
                .contains("--uid 1000 --gid 1000")
                .doesNotContain("--bind /", "--share-net")
                .endsWith("-- python");
        if (launcher.root()) {
            assertThat(line)
                    .contains("--nproc=" + limits.maxProcesses())
                    .contains(
                            "/usr/bin/setpriv --reuid=200001 --regid=200001 --clear-groups --inh-caps=-all");
        } else {
            assertThat(line).doesNotContain("setpriv");
        }
        // Host paths reach bwrap only as open files: its command line, which the sandbox can read
        // in /proc/1/cmdline, names nothing of the server's.
        assertThat(cmd.subList(3, cmd.size())).noneMatch(arg -> arg.contains(data.toString()));
        assertThat(data.resolve("sandbox/kernel.py")).exists();
        assertThat(data.resolve("sandbox/passwd")).content().startsWith("sandbox:x:1000:1000:");
    }
}
