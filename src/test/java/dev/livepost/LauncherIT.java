package dev.livepost;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real launcher in front of the jar the build just packaged: with the jar up to date, {@code
 * serve} needs a JDK and the sandbox's packages, and neither Maven nor Node.js nor apt-get.
 */
class LauncherIT {
    @TempDir Path dir;

    @Test
    void serveRunsFromAnUpToDateJarWithoutMavenOrNode() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String tool :
                List.of(
                        "bash", "find", "sed", "tr", "sort", "cat", "id", "dirname", "bwrap",
                        "setpriv")) {
            Path real = LauncherTest.which(tool);
            if (real != null) {
                Files.createSymbolicLink(bin.resolve(tool), real);
            }
        }
        assertThat(bin.resolve("mvn")).doesNotExist();
        var pb =
                new ProcessBuilder(
                        LauncherTest.which("bash").toString(),
                        LauncherTest.LAUNCHER.toString(),
                        "serve",
                        "--print-config",
                        "--data",
                        dir.resolve("data").toString());
        pb.environment().keySet().removeIf(k -> k.startsWith("LIVEPOST_") || k.equals("JAVA_HOME"));
        pb.environment().put("PATH", bin.toString());
        pb.environment().put("LIVEPOST_PORT", "0");
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertThat(stderr).doesNotContain("missing").doesNotContain("building the jar");
        assertThat(p.exitValue()).as(stderr).isZero();
        assertThat(Files.readString(out, StandardCharsets.UTF_8))
                .containsPattern("LIVEPOST_PORT \\(--port\\) +0 +variable");
    }
}
