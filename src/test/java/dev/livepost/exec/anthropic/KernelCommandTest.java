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
        String command = KernelCommand.run(code, Duration.ofSeconds(5));
        // Replace the client by cat, to see exactly what would reach the kernel on stdin.
        String probe =
                command.replace("python3 " + KernelCommand.SCRIPT + " run 5 warm", "cat")
                        .replace("[ -f " + KernelCommand.SCRIPT + " ]", "true");
        var p = new ProcessBuilder("bash", "-c", probe).directory(dir.toFile()).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();

        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo(code);
        assertThat(command)
                .startsWith("[ -f /tmp/.livepost/lp.py ] || ")
                .contains("python3 /tmp/.livepost/lp.py run 5 warm <<'LIVEPOST_CODE_");
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
        assertThat(KernelCommand.missingKernel(86, "livepost: no kernel\n")).isTrue();
        assertThat(KernelCommand.missingKernel(86, "something else")).isFalse();
    }

    @Test
    void theFirstCommandShipsTheKernel() {
        String command = KernelCommand.bootstrap("print(1)", Duration.ofSeconds(7));

        assertThat(command)
                .startsWith(
                        "mkdir -p /tmp/.livepost && cat > /tmp/.livepost/lp.py <<'LIVEPOST_KERNEL_");
        assertThat(command)
                .contains(KernelScripts.anthropic())
                .contains("\nprint(1)\nLIVEPOST_CODE_");
        assertThat(command).contains("python3 /tmp/.livepost/lp.py run 7 fresh <<'LIVEPOST_CODE_");
    }
}
