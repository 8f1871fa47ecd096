package dev.livepost.exec.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelCommandTest {
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void theShippedKernelIsCompactAndStillPython() throws Exception {
        String source;
        try (var in = KernelCommand.class.getResourceAsStream("kernel.py")) {
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String shipped = KernelCommand.compact(source);

        assertThat(shipped.length()).isLessThan(source.length() * 9 / 10);
        assertThat(shipped.lines()).noneMatch(l -> l.strip().startsWith("#"));
        assertThat(shipped).doesNotContain("\"\"\"").contains("def serve()");
        var check =
                new ProcessBuilder(
                                "/usr/bin/python3",
                                "-c",
                                "import sys; compile(sys.stdin.read(), 'lp.py', 'exec')")
                        .redirectErrorStream(true)
                        .start();
        check.getOutputStream().write(shipped.getBytes(StandardCharsets.UTF_8));
        check.getOutputStream().close();
        assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(check.getInputStream().readAllBytes())).isEmpty();
        assertThat(check.exitValue()).isZero();
    }

    @Test
    void theCodeTravelsVerbatimWhateverItContains(@TempDir Path dir) throws Exception {
        String code = "print('''$HOME `x` \\\\n EOF\nLIVEPOST_CODE''')\n";
        String command = KernelCommand.run(code, Duration.ofSeconds(5));
        // Replace the client by cat, to see exactly what would reach the kernel on stdin.
        String probe =
                command.replace("python3 " + KernelCommand.SCRIPT + " run 5", "cat")
                        .replace("[ -f " + KernelCommand.SCRIPT + " ]", "true");
        var p = new ProcessBuilder("bash", "-c", probe).directory(dir.toFile()).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();

        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo(code);
        assertThat(command).startsWith("[ -f /tmp/.livepost/lp.py ] || ");
    }

    @Test
    void theStatusLineIsSplitOffStderr() {
        var split =
                KernelCommand.split(
                        "Traceback\nZeroDivisionError\n\nLIVEPOST-STATUS {\"status\": \"error\","
                                + " \"exit\": 1, \"started\": true, \"display\": {\"text/plain\": \"1\"},"
                                + " \"notes\": [\"n\"]}\n",
                        json);

        assertThat(split.stderr()).isEqualTo("Traceback\nZeroDivisionError\n");
        var status = split.status().orElseThrow();
        assertThat(status.status()).isEqualTo("error");
        assertThat(status.exitCode()).isEqualTo(1);
        assertThat(status.started()).isTrue();
        // The old single "display" of a kernel already in a container is still understood.
        assertThat(status.displays())
                .singleElement()
                .satisfies(d -> assertThat(d.path("text/plain").asText()).isEqualTo("1"));
        assertThat(status.notes()).containsExactly("n");
    }

    @Test
    void everyDisplayOfTheCellIsReportedInOrder() {
        var split =
                KernelCommand.split(
                        "\nLIVEPOST-STATUS {\"status\": \"ok\", \"exit\": 0, \"started\": false,"
                                + " \"displays\": [{\"text/plain\": \"1\"}, {\"text/plain\":"
                                + " \"2\"}], \"notes\": []}\n",
                        json);

        assertThat(split.status().orElseThrow().displays())
                .extracting(d -> d.path("text/plain").asText())
                .containsExactly("1", "2");
    }

    @Test
    void stderrWithoutAStatusLineIsKept() {
        var split = KernelCommand.split("plain error\n", json);

        assertThat(split.stderr()).isEqualTo("plain error\n");
        assertThat(split.status()).isEmpty();
        assertThat(KernelCommand.missingKernel(86, "livepost: no kernel\n")).isTrue();
        assertThat(KernelCommand.missingKernel(86, "something else")).isFalse();
    }

    @Test
    void theFirstCommandShipsTheKernel() {
        String command = KernelCommand.bootstrap("print(1)", Duration.ofSeconds(7));

        assertThat(command)
                .startsWith(
                        "mkdir -p /tmp/.livepost && cat > /tmp/.livepost/lp.py <<'LIVEPOST_KERNEL_");
        assertThat(command).contains("def serve()").contains("\nprint(1)\nLIVEPOST_CODE_");
        assertThat(command).contains("python3 /tmp/.livepost/lp.py run 7 <<'LIVEPOST_CODE_");
    }
}
