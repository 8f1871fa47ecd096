package dev.livepost.exec;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.testing.Adversarial;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The assembled kernels: both are Python, and the Anthropic one, run as {@code lp.py} with the
 * host's Python in a temporary folder, keeps state, names cells, and reports lost state and files.
 */
class KernelScriptsTest {
    private static final String PYTHON = "/usr/bin/python3";
    private static final String TRAILER = "\nLIVEPOST-STATUS ";
    private final ObjectMapper json = new ObjectMapper();

    @TempDir Path dir;
    private Path home;
    private Path work;
    private Path out;

    @BeforeEach
    void shipTheKernel() throws IOException {
        home = Files.createDirectories(dir.resolve("home"));
        work = dir.resolve("work");
        out = dir.resolve("out");
        Files.writeString(home.resolve("lp.py"), KernelScripts.anthropic());
    }

    @AfterEach
    void stopTheKernel() throws Exception {
        Path pidFile = home.resolve("kernel.pid");
        if (Files.exists(pidFile)) {
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            var kernel = ProcessHandle.of(pid);
            if (kernel.isPresent()) {
                kernel.get().destroyForcibly();
                kernel.get().onExit().get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void bothScriptsAreSelfContainedPython() throws Exception {
        String local = KernelScripts.local();
        String anthropic = KernelScripts.anthropic();

        assertThat(local).doesNotContain("from cell import").contains("untrusted input");
        assertThat(anthropic).doesNotContain("from cell import").contains("def serve()");
        assertThat(anthropic).doesNotContain("\"\"\"");
        assertThat(anthropic.lines()).noneMatch(l -> l.strip().startsWith("#"));
        for (String script : new String[] {local, anthropic}) {
            var check =
                    new ProcessBuilder(
                                    PYTHON,
                                    "-c",
                                    "import sys; compile(sys.stdin.read(), 'k.py', 'exec')")
                            .redirectErrorStream(true)
                            .start();
            check.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
            check.getOutputStream().close();
            assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(new String(check.getInputStream().readAllBytes())).isEmpty();
            assertThat(check.exitValue()).isZero();
        }
    }

    @Test
    void stateAndCellSourcesSurviveFromRunToRun() throws Exception {
        var first = run("fresh", 20, "def f():\n    return 1 / 0\nx = 41\n");
        assertThat(first.status().path("status").asText()).isEqualTo("ok");

        var second = run("warm", 20, "x + 1");
        assertThat(second.status().path("displays"))
                .singleElement()
                .satisfies(d -> assertThat(d.path("text/plain").asText()).isEqualTo("42"));

        var third = run("warm", 20, "print('calling')\nf()\n");
        assertThat(third.stdout()).isEqualTo("calling\n");
        assertThat(third.stderr())
                .startsWith("Traceback (most recent call last):")
                .contains("File \"<cell-3>\", line 2, in <module>")
                .contains("File \"<cell-1>\", line 2, in f\n    return 1 / 0")
                .contains("ZeroDivisionError")
                .doesNotContain("lp.py");
        assertThat(third.status().path("status").asText()).isEqualTo("error");
        assertThat(third.status().path("exit").asInt()).isEqualTo(1);
        assertThat(third.status().path("lost").isNull()).isTrue();
    }

    @Test
    void aWarmRunWithoutAKernelStartsOneAndDoesNotRunTheCode() throws Exception {
        var cold = run("warm", 20, "open('ran', 'w').close()\nprint('ran')");

        assertThat(cold.stdout()).isEmpty();
        assertThat(cold.status().path("status").asText()).isEqualTo("not_run");
        assertThat(cold.status().path("lost").asText()).isEqualTo("restarted");
        assertThat(work.resolve("ran")).doesNotExist();

        var next = run("warm", 20, "print('now')");
        assertThat(next.stdout()).isEqualTo("now\n");
        assertThat(next.status().path("status").asText()).isEqualTo("ok");
        assertThat(next.status().path("lost").isNull()).isTrue();
    }

    @Test
    void aCellIgnoringItsInterruptIsKilledWithItsKernel() throws Exception {
        run("fresh", 20, "x = 1");

        var stuck =
                run(
                        "warm",
                        1,
                        """
                        import time
                        while True:
                            try:
                                time.sleep(10)
                            except KeyboardInterrupt:
                                pass
                        """);

        assertThat(stuck.status().path("status").asText()).isEqualTo("killed");
        assertThat(stuck.status().path("exit").asInt()).isEqualTo(137);
        assertThat(stuck.status().path("lost").asText()).isEqualTo("timeout");
        // A fresh kernel is waiting: the next warm run runs, without the old variables.
        var next = run("warm", 20, "print('x' in globals())");
        assertThat(next.status().path("status").asText()).isEqualTo("ok");
        assertThat(next.stdout()).isEqualTo("False\n");
    }

    /**
     * Where a sandbox cannot be frozen, an idle kernel must not wake: with a thread polling ten
     * times a second, 1000 idle sessions took both cores of the development machine. Watched over
     * one second, as long as any wait of that thread, in the kernel outside any sandbox.
     */
    @Test
    void anIdleLocalKernelWakesNoThread() throws Exception {
        Path script = Files.writeString(home.resolve("kernel.py"), KernelScripts.local());
        Process kernel =
                new ProcessBuilder(PYTHON, "-I", "-B", "-u", script.toString())
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
        try (var channel =
                        new BufferedReader(
                                new InputStreamReader(
                                        kernel.getInputStream(), StandardCharsets.UTF_8));
                var commands = kernel.getOutputStream()) {
            awaitMessage(channel, "ready");
            commands.write(
                    "{\"type\": \"run\", \"id\": \"r1\", \"code\": \"print(1)\"}\n"
                            .getBytes(StandardCharsets.UTF_8));
            commands.flush();
            awaitMessage(channel, "done");

            long before = contextSwitches(kernel.pid());
            Thread.sleep(1000);
            long after = contextSwitches(kernel.pid());

            // The run's last poll may still end its 0.1 s wait, and the main thread may not wait
            // for the next command yet: a few switches at most, where a polling thread made ten.
            assertThat(after - before)
                    .as("context switches of an idle kernel in 1 s")
                    .isLessThanOrEqualTo(3);
        } finally {
            kernel.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private void awaitMessage(BufferedReader channel, String type) throws IOException {
        for (String line; (line = channel.readLine()) != null; ) {
            if (json.readTree(line).path("type").asText().equals(type)) {
                return;
            }
        }
        throw new AssertionError("the kernel ended before it sent " + type);
    }

    /** Voluntary and involuntary context switches of all of a process's threads. */
    private static long contextSwitches(long pid) throws IOException {
        long total = 0;
        try (var tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path task : tasks.toList()) {
                for (String line : Files.readAllLines(task.resolve("status"))) {
                    if (line.contains("ctxt_switches:")) {
                        total += Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                    }
                }
            }
        }
        return total;
    }

    @Adversarial
    @Test
    void linksOutOfTheWorkingFolderAreNotSent() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret.txt"), "secret");
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("inner.txt"), "inner");

        var run =
                run(
                        "fresh",
                        20,
                        "import os\nos.symlink(%s, 'link')\nos.symlink(%s, 'folder')\n"
                                        .formatted(quote(secret), quote(outside))
                                + "open('real.txt', 'w').write('real')");

        assertThat(run.status().path("status").asText()).isEqualTo("ok");
        assertThat(run.status().path("files"))
                .extracting(JsonNode::asText)
                .containsExactly("real.txt");
        assertThat(Files.readString(out.resolve("real.txt"))).isEqualTo("real");
        try (var sent = Files.list(out)) {
            assertThat(sent).extracting(p -> p.getFileName().toString()).containsOnly("real.txt");
        }
    }

    private static String quote(Path p) {
        return "'" + p.toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private record Result(String stdout, String stderr, JsonNode status) {}

    /** Runs {@code python3 lp.py run SECONDS MODE} with {@code code} on stdin. */
    private Result run(String mode, int seconds, String code) throws Exception {
        Path stdout = dir.resolve("stdout");
        Path stderr = dir.resolve("stderr");
        var pb =
                new ProcessBuilder(
                                PYTHON,
                                home.resolve("lp.py").toString(),
                                "run",
                                String.valueOf(seconds),
                                mode)
                        .redirectOutput(stdout.toFile())
                        .redirectError(stderr.toFile());
        pb.environment().put("LIVEPOST_HOME", home.toString());
        pb.environment().put("LIVEPOST_WORK", work.toString());
        pb.environment().put("OUTPUT_DIR", out.toString());
        Process p = pb.start();
        p.getOutputStream().write(code.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String err = Files.readString(stderr);
        int at = err.lastIndexOf(TRAILER);
        assertThat(at).as("status line in %s", err).isNotNegative();
        return new Result(
                Files.readString(stdout),
                err.substring(0, at),
                json.readTree(err.substring(at + TRAILER.length())));
    }
}
