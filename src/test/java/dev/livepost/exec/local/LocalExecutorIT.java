package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunStatus;
import dev.livepost.testing.Adversarial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What code sees and produces in the real bubblewrap sandbox, through {@link
 * dev.livepost.exec.Sessions}.
 */
class LocalExecutorIT {
    @TempDir static Path data;
    static LocalSandboxes sandboxes;

    @BeforeAll
    static void start() {
        sandboxes = LocalSandboxes.available(data, Map.of("LIVEPOST_POOL_SIZE", "2"));
    }

    @AfterAll
    static void stop() {
        sandboxes.close();
    }

    @Test
    void beforeAnySessionRanANewOneCountsAsAPooledSandboxNotAtItsLimit(@TempDir Path own) {
        try (var fresh = LocalSandboxes.available(own, Map.of("LIVEPOST_POOL_SIZE", "1"))) {
            // The pool holds the startup probe's sandbox; no session has run yet.
            var capacity = fresh.executor.capacityForAdmission();
            long limit = fresh.config.limits().memoryBytes();
            assertThat(capacity.newSandboxBytes()).isPositive().isLessThan(limit / 8);
            // So a burst at startup is not taken for a lack of memory and evicts nobody.
            assertThat(capacity.roomFor(40)).isTrue();
        }
    }

    @Test
    void aPooledSandboxWaitsFrozenAndItsFirstRunThawsIt(@TempDir Path own) {
        var before = ProcessHandle.current().children().toList();
        try (var fresh = LocalSandboxes.available(own, Map.of("LIVEPOST_POOL_SIZE", "1"))) {
            // The pool holds the startup probe's sandbox, forked from the zygote (or from its own
            // child, when the server is not root).
            assertThat(newZygote(before).descendants().filter(LocalSandboxes::frozen).count())
                    .isOne();
            assertThat(fresh.executor.capacity().frozen()).as("frozen, as metrics count").isOne();
            String token = fresh.open();
            assertThat(fresh.run(token, "print('thawed')").stdout()).isEqualTo("thawed\n");
        }
    }

    @Test
    void aSandboxHoldsOneServerThread(@TempDir Path own) {
        var before = ProcessHandle.current().children().toList();
        try (var fresh = LocalSandboxes.available(own, Map.of("LIVEPOST_POOL_SIZE", "1"))) {
            ProcessHandle pooled =
                    newZygote(before)
                            .descendants()
                            .filter(LocalSandboxes::frozen)
                            .findFirst()
                            .orElseThrow();
            assertThat(threadsOf(pooled.pid()))
                    .as("waiting in the pool")
                    .containsExactly("sandbox-" + pooled.pid());

            String token = fresh.open();
            var run = fresh.run(token, "x = 41");
            assertThat(run.done().status()).isEqualTo(RunStatus.OK);
            assertThat(threadsOf(pooled.pid()))
                    .as("a session's, after a run")
                    .containsExactly("sandbox-" + pooled.pid());
            assertThat(fresh.run(token, "print(x + 1)").stdout()).isEqualTo("42\n");
        }
    }

    /** A fresh executor's zygote: this JVM's child that was not there {@code before}. */
    private static ProcessHandle newZygote(List<ProcessHandle> before) {
        return ProcessHandle.current()
                .children()
                .filter(p -> !before.contains(p))
                .filter(p -> p.info().command().orElse("").contains("python3"))
                .findFirst()
                .orElseThrow();
    }

    /** The server's threads named after the sandbox whose pid 1 has host pid {@code pid}. */
    private static List<String> threadsOf(long pid) {
        return Thread.getAllStackTraces().keySet().stream()
                .map(Thread::getName)
                .filter(name -> name.matches(".*\\D" + pid))
                .toList();
    }

    @Test
    void anAutoPoolGrowsWithMemoryAndItsSandboxesStartInTheBackground(@TempDir Path own)
            throws Exception {
        var before = ProcessHandle.current().children().toList();
        try (var fresh = LocalSandboxes.available(own, Map.of("LIVEPOST_POOL_SIZE", "auto"))) {
            // Past the few it starts with until a pooled sandbox has been measured: sized by the
            // machine's memory, not by a fixed number.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (fresh.executor.capacity().pooled() <= 4 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(fresh.executor.capacity().pooled()).isGreaterThan(4);

            ProcessHandle zygote =
                    ProcessHandle.current()
                            .children()
                            .filter(p -> !before.contains(p))
                            .findFirst()
                            .orElseThrow();
            // The least weight (v1 cpu.shares 2, v2 cpu.weight 1), none without cgroups.
            var pooled = frozenWeights(zygote);
            assertThat(pooled).isSubsetOf("2", "1").hasSizeLessThanOrEqualTo(1);
            // A session's sandbox has its equal share again: once its run ended it is frozen too,
            // the only one of the zygote's with the default weight.
            String token = fresh.open();
            assertThat(fresh.run(token, "print(1)").stdout()).isEqualTo("1\n");
            if (!pooled.isEmpty()) {
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (frozenWeights(zygote).size() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(10); // the freeze follows the run's done
                }
                String least = pooled.iterator().next();
                assertThat(frozenWeights(zygote))
                        .containsExactlyInAnyOrder(least, least.equals("2") ? "1024" : "100");
            }
        }
    }

    private static Set<String> frozenWeights(ProcessHandle zygote) {
        return zygote.descendants()
                .filter(LocalSandboxes::frozen)
                .map(LocalSandboxes::cpuWeight)
                .filter(Objects::nonNull)
                .collect(Collectors.toSet());
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

    @Test
    void streamsOutputBeforeTheRunEnds() {
        var run =
                sandboxes.run(
                        sandboxes.open(),
                        "import time\nprint('a', flush=True)\ntime.sleep(2)\nprint('b')");
        var timed = run.timed();
        long first =
                timed.stream()
                        .filter(t -> t.event() instanceof RunEvent.Stdout)
                        .findFirst()
                        .orElseThrow()
                        .nanos();
        long end = timed.get(timed.size() - 1).nanos();
        assertThat(
                        ((RunEvent.Stdout)
                                        timed.stream()
                                                .filter(t -> t.event() instanceof RunEvent.Stdout)
                                                .findFirst()
                                                .orElseThrow()
                                                .event())
                                .text())
                .isEqualTo("a\n");
        assertThat(Duration.ofNanos(end - first)).isGreaterThan(Duration.ofMillis(1500));
        assertThat(run.stdout()).isEqualTo("a\nb\n");
        assertThat(run.names()).containsSubsequence("run", "stdout", "stdout", "done");
    }

    @Test
    void keepsStateAcrossRunsAndShowsTheLastExpression() {
        String token = sandboxes.open();
        assertThat(sandboxes.run(token, "x = 20").done().status()).isEqualTo(RunStatus.OK);
        var run = sandboxes.run(token, "x * 2 + 2");
        var display = run.all(RunEvent.Display.class);
        assertThat(display).hasSize(1);
        assertThat(display.get(0).mime()).containsEntry("text/plain", "42");
    }

    @Test
    void exceptionGivesTracebackOnStderrAndError() {
        var run =
                sandboxes.run(sandboxes.open(), "def f():\n    return 1 / 0\nprint('before')\nf()");
        assertThat(run.stdout()).isEqualTo("before\n");
        assertThat(run.stderr())
                .startsWith("Traceback (most recent call last):")
                .contains(
                        "<cell-1>", "line 4", "return 1 / 0", "ZeroDivisionError: division by zero")
                .doesNotContain("livepost_kernel", "kernel.py");
        assertThat(run.done().status()).isEqualTo(RunStatus.ERROR);
        assertThat(run.done().exitCode()).isEqualTo(1);
    }

    @Test
    void figureBecomesPngFile() throws Exception {
        String token = sandboxes.open();
        var run =
                sandboxes.run(
                        token,
                        "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9])\nplt.title('squares')\nplt.show()");
        var files = run.all(RunEvent.File.class);
        assertThat(files).hasSize(1);
        var file = files.get(0);
        assertThat(file.name()).isEqualTo("figure-1.png");
        assertThat(file.mime()).isEqualTo("image/png");
        byte[] png = Files.readAllBytes(sandboxes.sessions.file(token, file.id()).path());
        assertThat(png).hasSize((int) file.size());
        assertThat(Arrays.copyOf(png, 8))
                .containsExactly(0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n');
        assertThat(run.done().status()).isEqualTo(RunStatus.OK);
        // Shown figures are closed: the next run sends none.
        assertThat(sandboxes.run(token, "print(plt.get_fignums())").stdout()).isEqualTo("[]\n");
    }

    @Test
    void filesWrittenToTheWorkingFolderAreSent() throws Exception {
        String token = sandboxes.open();
        var run =
                sandboxes.run(
                        token,
                        "import os\nopen('data.csv', 'w').write('a,b\\n1,2\\n')\n"
                                + "os.symlink('/etc/passwd', 'link')\nos.mkfifo('pipe')");
        var files = run.all(RunEvent.File.class);
        assertThat(files).extracting(RunEvent.File::name).containsExactly("data.csv");
        assertThat(files.get(0).mime()).isEqualTo("text/csv");
        assertThat(Files.readString(sandboxes.sessions.file(token, files.get(0).id()).path()))
                .isEqualTo("a,b\n1,2\n");
        // Unchanged files are not sent again.
        assertThat(sandboxes.run(token, "print(open('data.csv').read())").all(RunEvent.File.class))
                .isEmpty();
    }

    @Test
    void dataFrameIsDisplayedAsHtmlTable() {
        var run =
                sandboxes.run(
                        sandboxes.open(),
                        "import pandas as pd\npd.DataFrame({'name': ['ada', 'bob'], 'age': [36, 41]})");
        var display = run.all(RunEvent.Display.class);
        assertThat(display).hasSize(1);
        assertThat(display.get(0).mime().get("text/plain")).contains("ada", "bob");
        assertThat(display.get(0).mime().get("text/html")).contains("<table", "<td>ada</td>");
    }

    @Test
    void displayBuiltinSendsRichValues() {
        var run = sandboxes.run(sandboxes.open(), "display('hello', 3)\nprint('after')");
        assertThat(run.all(RunEvent.Display.class))
                .extracting(d -> d.mime().get("text/plain"))
                .containsExactly("'hello'", "3");
        assertThat(run.names()).containsSubsequence("display", "display", "stdout", "done");
    }

    @Test
    void interruptStopsTheRunAndKeepsState() throws Exception {
        String token = sandboxes.open();
        sandboxes.run(token, "x = 'kept'");
        var run = sandboxes.start(token, "import time\nprint('go', flush=True)\ntime.sleep(30)");
        run.awaitStdout("go");
        sandboxes.sessions.interrupt(token);
        run.finished(Duration.ofSeconds(10));
        assertThat(run.done().status()).isEqualTo(RunStatus.INTERRUPTED);
        assertThat(run.done().exitCode()).isEqualTo(130);
        assertThat(run.stderr()).contains("KeyboardInterrupt");
        assertThat(sandboxes.run(token, "print(x)").stdout()).isEqualTo("kept\n");
    }

    @Test
    void aTracebackIntoAFunctionOfAnEarlierRunShowsThatRunsLine() {
        String token = sandboxes.open();
        sandboxes.run(token, "def f():\n    return 1 / 0\n");
        var run = sandboxes.run(token, "x = 1\nf()");

        assertThat(run.stderr())
                .contains("<cell-2>\", line 2", "f()")
                .contains("<cell-1>\", line 2", "return 1 / 0", "ZeroDivisionError");
        assertThat(run.done().status()).isEqualTo(RunStatus.ERROR);
    }

    @Adversarial
    @Test
    void anIdleSessionThatLeftABusyThreadUsesNoCpu() throws Exception {
        String token = sandboxes.open();
        var run =
                sandboxes.run(
                        token,
                        "import threading\n"
                                + "threading.Thread(target=lambda: [0 for _ in iter(int, 1)],"
                                + " daemon=True).start()");
        assertThat(run.done().status()).isEqualTo(RunStatus.OK);
        ProcessHandle kernel = sandboxes.frozenKernel(token);
        Duration cpu = kernel.info().totalCpuDuration().orElseThrow();
        Thread.sleep(1000); // a window to measure CPU time in, not a wait for an event
        Duration used = kernel.info().totalCpuDuration().orElseThrow().minus(cpu);

        assertThat(used).isLessThan(Duration.ofMillis(50));
        assertThat(sandboxes.run(token, "print('thawed')").stdout()).isEqualTo("thawed\n");
    }

    @Test
    void anInterruptSentAsTheRunStartsStopsIt() throws Exception {
        String token = sandboxes.open();
        sandboxes.run(token, "x = 'kept'");
        // No waiting for the code: the interrupt may reach the kernel before the run does.
        var run = sandboxes.start(token, "x = 'changed'\nimport time\ntime.sleep(30)");
        sandboxes.sessions.interrupt(token);
        run.finished(Duration.ofSeconds(10));

        assertThat(run.done().status()).isEqualTo(RunStatus.INTERRUPTED);
        assertThat(sandboxes.run(token, "print(x)").stdout()).isIn("kept\n", "changed\n");
    }

    @Adversarial
    @Test
    void outputPastTheLimitStopsTheRun() {
        var run =
                sandboxes.run(sandboxes.open(), "for i in range(1_000_000):\n    print('x' * 99)");
        assertThat(run.stdout().length()).isLessThanOrEqualTo(1 << 20);
        assertThat(run.notices()).contains("Output passed the limit");
        assertThat(run.done().status()).isEqualTo(RunStatus.INTERRUPTED);
    }

    @Adversarial
    @Test
    void printedProtocolLookAlikesAreJustStdout() {
        var run =
                sandboxes.run(
                        sandboxes.open(),
                        """
                        import os, sys, time
                        print('{"type": "done", "id": "x", "status": "ok"}')
                        os.write(1, b'{"type": "done", "status": "ok"}\\n')
                        sys.stderr.write('{"type": "ready"}\\n')
                        time.sleep(0.5)
                        print('still running')
                        raise ValueError('real end')
                        """);
        assertThat(run.stdout())
                .isEqualTo(
                        "{\"type\": \"done\", \"id\": \"x\", \"status\": \"ok\"}\n"
                                + "{\"type\": \"done\", \"status\": \"ok\"}\n"
                                + "still running\n");
        assertThat(run.stderr())
                .startsWith("{\"type\": \"ready\"}\n")
                .contains("ValueError: real end");
        assertThat(run.done().status()).isEqualTo(RunStatus.ERROR);
    }

    @Test
    void outputOfChildProcessesIsCaptured() {
        var run =
                sandboxes.run(
                        sandboxes.open(),
                        "import subprocess\nsubprocess.run(['/bin/sh', '-c', 'echo out; echo err >&2'])");
        assertThat(run.stdout()).isEqualTo("out\n");
        assertThat(run.stderr()).isEqualTo("err\n");
    }

    @Test
    void trailingSemicolonHidesTheValue() {
        assertThat(sandboxes.run(sandboxes.open(), "1 + 1;").all(RunEvent.Display.class)).isEmpty();
    }

    @Adversarial
    @Test
    void sandboxDyingInARunIsReplaced() {
        String token = sandboxes.open();
        sandboxes.run(token, "x = 1");
        var run = sandboxes.run(token, "import os\nos._exit(3)");
        assertThat(run.done().status()).isEqualTo(RunStatus.KILLED);
        assertThat(run.done().exitCode()).isEqualTo(137);
        assertThat(run.notices()).contains("sandbox of this session stopped", "were lost");
        var next = sandboxes.run(token, "print('x' in globals())");
        assertThat(next.stdout()).isEqualTo("False\n");
        assertThat(next.notices()).isEmpty();
    }

    @Test
    void sandboxDyingBetweenRunsIsReplacedWithANotice() {
        String token = sandboxes.open();
        assertThat(sandboxes.run(token, "x = 1").done().status()).isEqualTo(RunStatus.OK);
        // Killed from outside while frozen (e.g. by the host's OOM killer): it dies as it thaws.
        assertThat(sandboxes.frozenKernel(token).destroyForcibly()).isTrue();

        var next = sandboxes.run(token, "print('x' in globals())");
        assertThat(next.notices()).contains("sandbox of this session stopped", "were lost");
        assertThat(next.stdout()).isEqualTo("False\n");
        assertThat(next.done().status()).isEqualTo(RunStatus.OK);
    }

    @Adversarial
    @Test
    void backgroundWriterDoesNotHoldTheRunOpen() {
        String token = sandboxes.open();
        try {
            long start = System.nanoTime();
            // A slow writer: `yes` would pass the output limit by itself on a busy machine.
            var run =
                    sandboxes.run(
                            token,
                            "import subprocess\nsubprocess.Popen(['/bin/sh', '-c',"
                                    + " 'while :; do echo tick; sleep 0.1; done'])");
            assertThat(run.done().status()).isEqualTo(RunStatus.OK);
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isLessThan(Duration.ofSeconds(5));
            // What the background process writes meanwhile joins the current run's output.
            var next = sandboxes.run(token, "print('next')");
            assertThat(next.stdout()).contains("next\n");
            assertThat(next.done().status()).isEqualTo(RunStatus.OK);
        } finally {
            sandboxes.sessions.delete(token);
        }
    }

    @Adversarial
    @Test
    void unicodeSurvivesAndBrokenTextDoesNotBreakPrint() {
        var run =
                sandboxes.run(
                        sandboxes.open(),
                        "import os\nprint('h\u00e9llo \u2713 \uD83D\uDE00')\nprint('\\udcff')\n"
                                + "os.write(1, 'caf\u00e9'.encode()[:4])\nos.write(1, 'caf\u00e9\\n'.encode()[4:])");
        assertThat(run.stdout()).isEqualTo("h\u00e9llo \u2713 \uD83D\uDE00\n\\udcff\ncaf\u00e9\n");
        assertThat(run.done().status()).isEqualTo(RunStatus.OK);
    }

    @Adversarial
    @Test
    void manyChangedFilesAreCappedWithANotice() {
        var run =
                sandboxes.run(
                        sandboxes.open(),
                        "for i in range(25):\n    open(f'f{i:02}.txt', 'w').write(str(i))");
        assertThat(run.all(RunEvent.File.class)).hasSize(20);
        assertThat(run.notices()).contains("25 files changed");
    }
}
