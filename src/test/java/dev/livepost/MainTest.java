package dev.livepost;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user meets it: a real JVM, its exit status, stdout and stderr. */
class MainTest {
    @TempDir Path dir;

    private record Result(int status, String out, String err) {}

    @Test
    void badConfigurationExitsWithStatusTwoAndOneLinePerProblemWithoutAStackTrace()
            throws Exception {
        var r =
                run(
                        Map.of(
                                "LIVEPOST_PORT", "abc",
                                "LIVEPOST_RUN_TIMEOUT", "0",
                                "LIVEPOST_POOL_SIZE", "-3",
                                "LIVEPOST_SESSION_IDLE", "-1"),
                        "serve",
                        "--data",
                        dir.toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err().lines())
                .containsExactly(
                        "livepost: LIVEPOST_PORT must be a whole number 0..65535, not 'abc'",
                        "livepost: LIVEPOST_RUN_TIMEOUT must be 1..3600 seconds, not 0",
                        "livepost: LIVEPOST_SESSION_IDLE must be 1..86400 seconds, not -1",
                        "livepost: LIVEPOST_POOL_SIZE must be 'auto' or 0..1024 sandboxes, not -3");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void aBadFlagIsNamedAsTheFlag() throws Exception {
        var r = run(Map.of("LIVEPOST_PORT", "8081"), "serve", "--port", "abc");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err().strip())
                .isEqualTo("livepost: --port must be a whole number 0..65535, not 'abc'");
    }

    @Test
    void printConfigPrintsTheEffectiveSettingsAndStartsNothing() throws Exception {
        var r =
                run(
                        Map.of("ANTHROPIC_API_KEY", "sk-ant-never-shown", "LIVEPOST_PORT", "0"),
                        "serve",
                        "--print-config",
                        "--data",
                        dir.resolve("data").toString());
        assertThat(r.status()).isZero();
        assertThat(r.out().lines().skip(1)).hasSize(Setting.values().length);
        assertThat(r.out())
                .doesNotContain("sk-ant-never-shown")
                .doesNotContain("listening on")
                .containsPattern("LIVEPOST_PORT \\(--port\\) +0 +variable")
                .containsPattern("LIVEPOST_DATA \\(--data\\) +" + dir.resolve("data") + " +flag");
        // Nothing started: no log line, and not even the data folder was made.
        assertThat(r.err()).isEmpty();
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void aPortInUseIsAProblemOfTheSettingNotACrash() throws Exception {
        try (var taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            var r =
                    run(
                            Map.of(
                                    "LIVEPOST_PRECOMPUTE", "false",
                                    "LIVEPOST_POOL_SIZE", "0",
                                    "LIVEPOST_ZYGOTE", "false"),
                            "serve",
                            "--port",
                            String.valueOf(taken.getLocalPort()),
                            "--data",
                            dir.resolve("data").toString(),
                            "--posts",
                            dir.resolve("posts").toString());
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err())
                    .contains(
                            "livepost: cannot listen on 127.0.0.1:"
                                    + taken.getLocalPort()
                                    + " (Address already in use); choose another --port"
                                    + " (LIVEPOST_PORT) or --host (LIVEPOST_HOST)");
            assertThat(r.err().lines())
                    .noneMatch(l -> l.startsWith("\tat ") || l.startsWith("Caused by"));
            assertThat(r.out()).doesNotContain("listening on");
        }
    }

    private Result run(Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        var command =
                new ArrayList<>(List.of(javaBinary(), "-cp", classPath(), Main.class.getName()));
        command.addAll(List.of(args));
        var pb = new ProcessBuilder(command);
        // Only what the test gives: a LIVEPOST_ variable of the machine running the tests
        // must not change the outcome.
        pb.environment()
                .keySet()
                .removeIf(k -> k.startsWith("LIVEPOST_") || k.startsWith("ANTHROPIC_"));
        pb.environment().putAll(env);
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("livepost did not exit within 60 s");
        }
        return new Result(
                p.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String classPath() {
        return System.getProperty("java.class.path");
    }
}
