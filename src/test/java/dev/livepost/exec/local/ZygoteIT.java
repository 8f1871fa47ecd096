package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.livepost.testing.Adversarial;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sandboxes forked from the zygote: isolated from it and from each other, showing nothing of the
 * server, and sharing the libraries' memory copy-on-write. Skipped where the zygote is not used.
 */
class ZygoteIT {
    @TempDir static Path data;
    static LocalSandboxes sandboxes;

    @BeforeAll
    static void start() {
        sandboxes =
                LocalSandboxes.available(
                        data, Map.of("LIVEPOST_POOL_SIZE", "2", "ANTHROPIC_API_KEY", "sk-secret"));
        // As root (CI, a production host) the zygote must be in use, not silently replaced by
        // the bubblewrap fallback; only another user cannot have it.
        assumeTrue(SandboxLauncher.effectiveUid() == 0, "the zygote needs root");
        assertThat(sandboxes.executor.zygotePid())
                .as(sandboxes.executor.health().detail())
                .isPositive();
    }

    @AfterAll
    static void stop() {
        if (sandboxes != null) {
            sandboxes.close();
        }
    }

    @Test
    void healthSaysTheZygoteIsUsed() {
        assertThat(sandboxes.executor.health().detail()).startsWith("zygote sandboxes");
    }

    @Test
    void aZygoteThatDiesIsReplacedWhileBubblewrapStandsIn(@TempDir Path ownData) throws Exception {
        try (var own = LocalSandboxes.available(ownData, Map.of("LIVEPOST_POOL_SIZE", "0"))) {
            long first = own.executor.zygotePid();
            ProcessHandle zygote = ProcessHandle.of(first).orElseThrow();
            zygote.destroyForcibly();
            zygote.onExit().get(10, TimeUnit.SECONDS);

            // The next sandbox finds it dead: bubblewrap starts that one, a new zygote the next.
            assertThat(own.run(own.open(), "print(2)").stdout()).isEqualTo("2\n");
            assertThat(own.executor.zygoteRestart().get(60, TimeUnit.SECONDS)).isTrue();
            assertThat(own.executor.zygotePid()).isPositive().isNotEqualTo(first);
            assertThat(own.executor.health().detail()).startsWith("zygote sandboxes");
            assertThat(own.run(own.open(), "print(3)").stdout()).isEqualTo("3\n");
        }
    }

    /**
     * Forks share the zygote's memory, random generators included: each sandbox seeds its own, so
     * no reader can predict another's numbers from their own.
     */
    @Test
    void everySandboxDrawsItsOwnRandomNumbers() {
        String code =
                "import random, numpy as np\n"
                        + "print(random.getrandbits(64), np.random.randint(1 << 62),"
                        + " np.random.default_rng().integers(1 << 62))";
        String a = sandboxes.run(sandboxes.open(), code).stdout();
        String b = sandboxes.run(sandboxes.open(), code).stdout();
        String[] first = a.trim().split(" ");
        String[] second = b.trim().split(" ");
        assertThat(first).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(first[i]).as("generator %d", i).isNotEqualTo(second[i]);
        }
    }

    @Adversarial
    @Test
    void childCannotSeeOrSignalTheZygoteOrAnotherChild() throws IOException {
        String a = sandboxes.open();
        String b = sandboxes.open();
        String nsB =
                sandboxes.run(b, "import os; print(os.readlink('/proc/self/ns/pid'))").stdout();
        List<Long> hostPidsOfB = hostPids(nsB.strip());
        assertThat(hostPidsOfB).hasSize(1); // its kernel, pid 1 of its namespace
        long zygote = sandboxes.executor.zygotePid();
        var run =
                sandboxes.run(
                        a,
                        """
                        import os, signal
                        for pid in %s:
                            try:
                                os.kill(pid, signal.SIGKILL)
                                print(pid, 'signalled')
                            except OSError as e:
                                print(pid, type(e).__name__)
                        print(sorted(p for p in os.listdir('/proc') if p.isdigit()))
                        print(os.readlink('/proc/self/ns/pid'))
                        """
                                .formatted(pidList(zygote, hostPidsOfB)));
        assertThat(run.stdout()).doesNotContain("signalled").contains("['1']");
        String nsA = run.stdout().strip().lines().reduce((x, y) -> y).orElseThrow();
        assertThat(nsA).isNotEqualTo(nsB.strip());
        assertThat(ProcessHandle.of(zygote)).isPresent();
        assertThat(sandboxes.run(b, "print('b alive')").stdout()).isEqualTo("b alive\n");
        // Different host uids, none of them root, and not the zygote's.
        long uidA = hostUid(hostPids(nsA).get(0));
        long uidB = hostUid(hostPidsOfB.get(0));
        assertThat(uidA).isNotEqualTo(uidB).isGreaterThanOrEqualTo(200_000);
        assertThat(uidB).isGreaterThanOrEqualTo(200_000);
        assertThat(hostUid(zygote)).isZero();
    }

    @Adversarial
    @Test
    void procOneShowsNothingOfTheServer() {
        var run =
                sandboxes.run(
                        sandboxes.open(),
                        """
                        for f in ['/proc/1/environ', '/proc/1/cmdline', '/proc/self/environ']:
                            print(open(f, 'rb').read().replace(b'\\0', b' ').decode())
                        import os
                        print(sorted(os.environ))
                        """);
        String out = run.stdout();
        assertThat(out)
                .doesNotContain(data.toString(), "sk-secret", "ANTHROPIC", "LIVEPOST", "java")
                .doesNotContain(
                        System.getProperty("user.home") + "/", System.getProperty("user.dir"));
        for (String name : System.getenv().keySet()) {
            if (!SandboxView.ENV.containsKey(name)) {
                assertThat(out).doesNotContain(name + "=");
            }
        }
        assertThat(out).contains("HOME=/work");
    }

    @Adversarial
    @Test
    void killingASessionEndsItsWholePidNamespace() throws Exception {
        String token = sandboxes.open();
        var run =
                sandboxes.run(
                        token,
                        """
                        import subprocess, os
                        subprocess.Popen(['/bin/sleep', '600'], start_new_session=True)
                        print(os.readlink('/proc/self/ns/pid'))
                        """);
        List<Long> pids = hostPids(run.stdout().strip());
        assertThat(pids).hasSize(2);
        sandboxes.sessions.delete(token);
        CompletableFuture.allOf(
                        pids.stream()
                                .map(ProcessHandle::of)
                                .flatMap(java.util.Optional::stream)
                                .map(ProcessHandle::onExit)
                                .toArray(CompletableFuture[]::new))
                .get(10, TimeUnit.SECONDS);
        assertThat(hostPids(run.stdout().strip())).isEmpty();
    }

    /**
     * The kernel is pid 1, so every orphan comes to it: it reaps those as they end (more of them
     * than the sandbox's 64 processes, one at a time), and leaves the children the code waits for
     * itself, whose exit status must not be lost.
     */
    @Adversarial
    @Test
    void orphansAreReapedAndOwnChildrenKeepTheirStatus() {
        String token = sandboxes.open();
        var run =
                sandboxes.run(
                        token,
                        """
                        import subprocess
                        own = subprocess.Popen(['/bin/sh', '-c', 'exit 7'])
                        for i in range(150):
                            subprocess.run(['/bin/sh', '-c', '/bin/true & exit 0'], check=True)
                        print('forked', i + 1, 'own', own.wait())
                        """);
        assertThat(run.stdout()).isEqualTo("forked 150 own 7\n");
        var next =
                sandboxes.run(
                        token,
                        """
                        import subprocess
                        print(subprocess.run(['/bin/sh', '-c', 'exit 3']).returncode)
                        """);
        assertThat(next.stdout()).isEqualTo("3\n");
    }

    /**
     * An idle sandbox after one plot and one DataFrame: what it has of its own (private pages, from
     * the host's smaps_rollup of its processes) stays far below a sandbox that imported the
     * libraries itself (~62 MiB).
     */
    @Test
    void memoryIsSharedCopyOnWrite() throws IOException {
        String token = sandboxes.open();
        var run =
                sandboxes.run(
                        token,
                        """
                        import matplotlib.pyplot as plt, pandas as pd, numpy as np, os
                        plt.plot(np.arange(10)); plt.show()
                        df = pd.DataFrame({'a': range(100), 'b': np.random.rand(100)})
                        print(df.describe().shape)
                        print(os.readlink('/proc/self/ns/pid'))
                        """);
        assertThat(run.stdout()).startsWith("(8, 2)");
        long pss = 0;
        long priv = 0;
        for (long pid : hostPids(run.stdout().strip().lines().reduce((x, y) -> y).orElseThrow())) {
            Map<String, Long> m = rollup(pid);
            pss += m.getOrDefault("Pss", 0L);
            priv += m.getOrDefault("Private_Clean", 0L) + m.getOrDefault("Private_Dirty", 0L);
        }
        System.out.printf(
                "zygote sandbox after a plot and a DataFrame: PSS %.1f MiB, private %.1f MiB%n",
                pss / 1024.0, priv / 1024.0);
        // Today's bwrap sandbox: ~62 MiB of its own. The target of issue 10 is 20 MiB; what a
        // plot touches (reference counts dirty the pages of every object it uses) is ~18 MiB.
        assertThat(priv).isLessThan(31 * 1024);
        assertThat(pss).isLessThan(62 * 1024);
    }

    /** Spawn request to the kernel's ready, pool aside; printed, and bounded loosely. */
    @Test
    void spawnToReadyIsMilliseconds() throws Exception {
        var config = sandboxes.config;
        var limits = SandboxLimits.detect(config.limits(), "zt" + ProcessHandle.current().pid());
        Path dir = data.resolve("spawn");
        Path seccomp = Seccomp.write(dir.resolve("sandbox"));
        var launcher =
                new SandboxLauncher(
                        config.limits(),
                        SandboxLauncher.BWRAP,
                        limits,
                        dir,
                        seccomp,
                        "zt",
                        SandboxIds.detect());
        byte[] filter = seccomp == null ? null : Files.readAllBytes(seccomp);
        try (var zygote = Zygote.start(launcher.zygoteConfig(), filter, Duration.ofSeconds(60))) {
            launcher.useZygote(zygote);
            List<Long> micros = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                long start = System.nanoTime();
                Sandbox s = launcher.start(Duration.ofSeconds(30));
                micros.add((System.nanoTime() - start) / 1000);
                s.kill();
            }
            micros.sort(null);
            System.out.printf(
                    "zygote spawn to ready: p50 %.1f ms, p90 %.1f ms, max %.1f ms%n",
                    micros.get(15) / 1000.0, micros.get(27) / 1000.0, micros.get(29) / 1000.0);
            assertThat(micros.get(15)).isLessThan(2_000_000);
        }
    }

    private static String pidList(long zygote, List<Long> others) {
        var all = new ArrayList<Long>(others);
        all.add(zygote);
        return all.toString();
    }

    /** Host pids of the processes in the pid namespace named like {@code pid:[4026532...]}. */
    private static List<Long> hostPids(String namespace) {
        return ProcessHandle.current()
                .descendants()
                .filter(
                        p -> {
                            try {
                                return Files.readSymbolicLink(
                                                Path.of("/proc", String.valueOf(p.pid()), "ns/pid"))
                                        .toString()
                                        .equals(namespace);
                            } catch (IOException e) {
                                return false;
                            }
                        })
                .map(ProcessHandle::pid)
                .toList();
    }

    private static long hostUid(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status")).stream()
                .filter(l -> l.startsWith("Uid:"))
                .map(l -> Long.parseLong(l.split("\\s+")[1]))
                .findFirst()
                .orElseThrow();
    }

    private static Map<String, Long> rollup(long pid) throws IOException {
        var values = new java.util.HashMap<String, Long>();
        for (String line :
                Files.readAllLines(Path.of("/proc", String.valueOf(pid), "smaps_rollup"))) {
            String[] f = line.split(":\\s+");
            if (f.length == 2 && f[1].endsWith(" kB")) {
                values.put(f[0], Long.parseLong(f[1].replace(" kB", "").trim()));
            }
        }
        return values;
    }
}
