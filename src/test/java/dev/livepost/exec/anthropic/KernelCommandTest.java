package dev.livepost.exec.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.exec.KernelScripts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelCommandTest {
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void theCodeTravelsVerbatimWhateverItContains(@TempDir Path dir) throws Exception {
        String code = "print('''$HOME `x` \\\\n EOF\nLIVEPOST_CODE''')\n";
        String command =
                KernelCommand.command(
                        new KernelCommand.Kernel.Present(),
                        new KernelCommand.Code.Verbatim(code),
                        Duration.ofSeconds(5));
        // Replace the client by cat, to see exactly what would reach the kernel on stdin.
        String probe = command.replace("python3 " + KernelCommand.SCRIPT + " run 5 warm", "cat");
        var p = new ProcessBuilder("bash", "-c", probe).directory(dir.toFile()).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();

        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo(code);
        assertThat(command).startsWith("python3 /tmp/.livepost/lp.py run 5 warm <<'LP_");
        assertThat(command.length() - code.length()).isLessThan(80);
    }

    @Test
    void theStatusLineIsSplitOffStderr() {
        var split =
                KernelCommand.split(
                        "Traceback\nZeroDivisionError\n\nLIVEPOST-STATUS {\"status\": \"error\","
                                + " \"exit\": 1, \"lost\": null, \"displays\": [],"
                                + " \"files\": []}\n",
                        json);

        assertThat(split.stderr()).isEqualTo("Traceback\nZeroDivisionError\n");
        var status = split.status().orElseThrow();
        assertThat(status.status()).isEqualTo("error");
        assertThat(status.exitCode()).isEqualTo(1);
        assertThat(status.lost()).isNull();
        assertThat(status.displays()).isEmpty();
    }

    @Test
    void aLostInterpreterIsReported() {
        var notRun =
                KernelCommand.split(
                        "\nLIVEPOST-STATUS {\"status\": \"not_run\", \"exit\": 0, \"lost\":"
                                + " \"restarted\", \"displays\": [], \"files\": []}\n",
                        json);
        var killed =
                KernelCommand.split(
                        "\nLIVEPOST-STATUS {\"status\": \"killed\", \"exit\": 137, \"lost\":"
                                + " \"timeout\", \"displays\": [], \"files\": []}\n",
                        json);

        assertThat(notRun.stderr()).isEmpty();
        assertThat(notRun.status().orElseThrow())
                .extracting(KernelCommand.Status::status, KernelCommand.Status::lost)
                .containsExactly("not_run", "restarted");
        assertThat(killed.status().orElseThrow())
                .extracting(
                        KernelCommand.Status::status,
                        KernelCommand.Status::exitCode,
                        KernelCommand.Status::lost)
                .containsExactly("killed", 137, "timeout");
    }

    @Test
    void everyDisplayOfTheCellIsReportedInOrder() {
        var split =
                KernelCommand.split(
                        "\nLIVEPOST-STATUS {\"status\": \"ok\", \"exit\": 0, \"lost\": null,"
                                + " \"displays\": [{\"text/plain\": \"1\"}, {\"text/plain\":"
                                + " \"2\"}], \"files\": []}\n",
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
        assertThat(
                        KernelCommand.missingKernel(
                                2,
                                "python3: can't open file '/tmp/.livepost/lp.py': [Errno 2] No"
                                        + " such file or directory\n"))
                .isTrue();
        assertThat(KernelCommand.missingKernel(2, "something else")).isFalse();
        assertThat(KernelCommand.missingUpload(87, "cp: cannot stat 'x': No such file\n")).isTrue();
        assertThat(KernelCommand.missingUpload(87, "\nLIVEPOST-STATUS {}\n")).isFalse();
    }

    @Test
    void theInlineFallbackShipsTheWholeKernel() {
        String command =
                KernelCommand.command(
                        new KernelCommand.Kernel.Inline(),
                        new KernelCommand.Code.Verbatim("print(1)"),
                        Duration.ofSeconds(7));

        assertThat(command)
                .startsWith(
                        "mkdir -p /tmp/.livepost && cat > /tmp/.livepost/lp.py <<'LIVEPOST_KERNEL_");
        assertThat(command).contains(KernelScripts.anthropic()).contains("\nprint(1)\nLP_");
        assertThat(command).contains("python3 /tmp/.livepost/lp.py run 7 fresh <<'LP_");
    }

    @Test
    void withUploadsTheFirstCommandCopiesTheKernelAndLongCodeIsReadFromItsUpload(@TempDir Path dir)
            throws Exception {
        String first =
                KernelCommand.command(
                        new KernelCommand.Kernel.Upload("lp-0123456789abcdef.py"),
                        new KernelCommand.Code.Verbatim("print(1)"),
                        Duration.ofSeconds(30));
        String longCode =
                KernelCommand.command(
                        new KernelCommand.Kernel.Present(),
                        new KernelCommand.Code.Upload("code-0123456789abcdef.py"),
                        Duration.ofSeconds(30));

        assertThat(first)
                .startsWith(
                        "mkdir -p /tmp/.livepost&&cp \"$INPUT_DIR/lp-0123456789abcdef.py\""
                                + " /tmp/.livepost/lp.py||exit 87\n")
                .hasSizeLessThan(200);
        assertThat(longCode)
                .isEqualTo(
                        "test -f \"$INPUT_DIR/code-0123456789abcdef.py\"||exit 87\n"
                                + "python3 /tmp/.livepost/lp.py run 30 warm"
                                + " <\"$INPUT_DIR/code-0123456789abcdef.py\"");
        // Without the upload in $INPUT_DIR, the command stops before anything runs.
        var p =
                new ProcessBuilder("bash", "-c", longCode)
                        .directory(dir.toFile())
                        .redirectErrorStream(true);
        p.environment().put("INPUT_DIR", dir.toString());
        Process run = p.start();
        assertThat(run.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(run.exitValue()).isEqualTo(KernelCommand.NO_UPLOAD);
    }
}
