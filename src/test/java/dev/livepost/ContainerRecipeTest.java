package dev.livepost;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The container recipe cannot be built here (no container engine), so what can be checked without
 * one is: every file the Dockerfile copies exists and is not ignored, it installs the launcher's
 * packages, and the compose file is YAML that builds this Dockerfile.
 */
class ContainerRecipeTest {
    private static final Path DOCKERFILE = Path.of("Dockerfile");

    @Test
    void everyFileTheDockerfileCopiesExistsAndIsNotIgnored() throws IOException {
        List<String> ignored =
                Files.readAllLines(Path.of(".dockerignore")).stream()
                        .map(String::strip)
                        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                        .toList();
        var sources = new ArrayList<String>();
        for (String line : instructions()) {
            var words = List.of(line.split("\\s+"));
            if (!words.get(0).equals("COPY") || words.get(1).startsWith("--from=")) {
                continue;
            }
            sources.addAll(words.subList(1, words.size() - 1));
        }
        assertThat(sources).contains("pom.xml", "src/main", "posts");
        for (String source : sources) {
            assertThat(Path.of(source)).as("COPY %s", source).exists();
            assertThat(ignored)
                    .as("COPY %s is excluded by .dockerignore", source)
                    .noneMatch(i -> source.equals(i) || source.startsWith(i + "/"));
        }
    }

    @Test
    void theImageInstallsTheLaunchersPackages() throws Exception {
        List<Set<String>> stages = installedPerStage();
        assertThat(stages).hasSize(2);
        var build = new TreeSet<>(launcherList("JDK_NEEDS"));
        build.addAll(launcherList("BUILD_NEEDS"));
        // Maven and npm download over HTTPS; the launcher's machine has certificates already.
        build.add("ca-certificates");
        assertThat(stages.get(0)).as("the build stage").isEqualTo(build);
        var run = new TreeSet<>(launcherList("JDK_NEEDS"));
        run.addAll(launcherList("RUN_NEEDS"));
        assertThat(stages.get(1)).as("the image").isEqualTo(run);
    }

    @Test
    @SuppressWarnings("unchecked")
    void theComposeFileIsYamlThatBuildsThisDockerfileAndLetsBubblewrapWork() throws IOException {
        var compose =
                (Map<?, ?>)
                        new Load(LoadSettings.builder().build())
                                .loadFromString(Files.readString(Path.of("compose.yaml")));
        var service = (Map<?, ?>) ((Map<?, ?>) compose.get("services")).get("livepost");
        assertThat(service.get("build")).isEqualTo(".");
        assertThat((List<Object>) service.get("security_opt"))
                .contains("seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined");
    }

    /** The Dockerfile's instructions, continuation lines joined, comments left out. */
    private static List<String> instructions() throws IOException {
        var out = new ArrayList<String>();
        var current = new StringBuilder();
        for (String line : Files.readAllLines(DOCKERFILE, StandardCharsets.UTF_8)) {
            String l = line.strip();
            if (l.startsWith("#") || (l.isEmpty() && current.isEmpty())) {
                continue;
            }
            if (l.endsWith("\\")) {
                current.append(l, 0, l.length() - 1).append(' ');
                continue;
            }
            current.append(l);
            out.add(current.toString().strip());
            current.setLength(0);
        }
        return out;
    }

    /** The packages each stage's {@code apt-get install} lines install. */
    private static List<Set<String>> installedPerStage() throws IOException {
        var stages = new ArrayList<Set<String>>();
        for (String line : instructions()) {
            if (line.startsWith("FROM ")) {
                stages.add(new TreeSet<>());
            } else if (line.startsWith("RUN ") && line.contains("apt-get install")) {
                for (String command : line.split("&&")) {
                    var words = Arrays.asList(command.strip().split("\\s+"));
                    int install = words.indexOf("install");
                    if (words.get(0).equals("apt-get") && install > 0) {
                        words.subList(install + 1, words.size()).stream()
                                .filter(w -> !w.startsWith("-"))
                                .forEach(stages.get(stages.size() - 1)::add);
                    }
                }
            }
        }
        return stages;
    }

    /** The packages of one of the launcher's "package|check" lists. */
    private static Set<String> launcherList(String name) throws Exception {
        var pb =
                new ProcessBuilder(
                        "bash",
                        "-c",
                        "source \"$1\"; for e in \"${"
                                + name
                                + "[@]}\"; do echo \"${e%%|*}\"; done",
                        "bash",
                        LauncherTest.LAUNCHER.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        var packages = new TreeSet<>(out.lines().map(String::strip).toList());
        assertThat(packages).as(name).isNotEmpty();
        return packages;
    }
}
