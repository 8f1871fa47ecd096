package dev.livepost;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./livepost install-service} ({@code scripts/install-service.sh}) run into a temporary root
 * folder: the unit it writes passes {@code systemd-analyze verify}, carries the hardening the
 * README promises, and a second run changes nothing and says so.
 */
class InstallServiceTest {
    private static final Path SCRIPT = Path.of("scripts/install-service.sh");
    private static final Path UNIT = Path.of("etc/systemd/system/livepost.service");

    @TempDir Path root;
    @TempDir Path work;
    private Path jar;

    @BeforeEach
    void aJar() throws IOException {
        jar = work.resolve("livepost.jar");
        Files.writeString(jar, "not really a jar, but bytes to install");
    }

    @Test
    void writesAVerifiedHardenedUnitAndTheFoldersItNames() throws Exception {
        Result r = install(root);
        assertThat(r.status()).as(r.output()).isZero();
        assertThat(r.output()).contains("systemctl enable --now livepost");
        String unit = Files.readString(root.resolve(UNIT));
        assertThat(unit.lines())
                .contains(
                        "User=livepost",
                        "Delegate=yes",
                        "NoNewPrivileges=yes",
                        "ProtectSystem=strict",
                        "ProtectHome=yes",
                        "PrivateTmp=yes",
                        "ReadWritePaths=/var/lib/livepost",
                        "Restart=on-failure",
                        "KillMode=mixed",
                        "KillSignal=SIGTERM",
                        "TimeoutStopSec=30");
        assertThat(unit)
                .contains("-jar /opt/livepost/livepost.jar serve --posts /srv/livepost/posts");
        assertThat(root.resolve("var/lib/livepost")).isDirectory();
        assertThat(root.resolve("opt/livepost/livepost.jar")).hasSameBinaryContentAs(jar);
        try (Stream<Path> posts = Files.list(root.resolve("srv/livepost/posts"))) {
            assertThat(posts.map(p -> p.getFileName().toString()))
                    .contains("interactive-artifacts.md");
        }
        // The stop takes the server's grace (10 s) plus the interrupted runs' and sandboxes'
        // end (7 s at most): well within TimeoutStopSec.
        assertThat(App.STOP_GRACE.toSeconds() + 7).isLessThan(30);

        Path analyze = Path.of("/usr/bin/systemd-analyze");
        // The launcher installs systemd (TEST_NEEDS) for this check.
        assertThat(analyze).isExecutable();
        Result verified = run(List.of(analyze.toString(), "verify", root.resolve(UNIT).toString()));
        assertThat(verified.status()).as(verified.output()).isZero();
        assertThat(verified.output()).as("systemd-analyze verify has no complaint").isBlank();
    }

    @Test
    void aSecondRunChangesNothingAndSaysSo() throws Exception {
        assertThat(install(root).status()).isZero();
        Map<Path, FileTime> before = snapshot(root);
        Result again = install(root);
        assertThat(again.status()).as(again.output()).isZero();
        assertThat(again.output()).contains("nothing to change");
        assertThat(snapshot(root)).isEqualTo(before);

        // A new jar is installed again, and only it.
        Files.writeString(jar, "a newer build");
        Result upgrade = install(root);
        assertThat(upgrade.output())
                .contains("install the jar")
                .doesNotContain("write /etc/systemd")
                .doesNotContain("nothing to change");
    }

    @Test
    void aDryRunChangesNothing() throws Exception {
        Path fresh = root.resolve("fresh");
        Result r = run(command(fresh, "--dry-run"));
        assertThat(r.status()).as(r.output()).isZero();
        assertThat(r.output()).contains("would write /etc/systemd/system/livepost.service");
        assertThat(r.output()).contains("ProtectSystem=strict").contains("dry run: nothing");
        assertThat(fresh).doesNotExist();
    }

    @Test
    void withSubordinateUidsNewuidmapIsLeftAbleToWork() throws Exception {
        // The launcher installs uidmap (RUN_NEEDS).
        assertThat(Path.of("/usr/bin/newuidmap")).isExecutable();
        assertThat(Path.of("/usr/bin/newgidmap")).isExecutable();
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/subuid"), "livepost:300000:65536\n");
        // Uids alone are not enough: the server needs both ranges.
        assertThat(install(root).status()).isZero();
        assertThat(Files.readString(root.resolve(UNIT)).lines()).contains("NoNewPrivileges=yes");
        Files.writeString(root.resolve("etc/subgid"), "livepost:300000:65536\n");
        assertThat(install(root).status()).isZero();
        assertThat(Files.readString(root.resolve(UNIT)).lines())
                .contains("NoNewPrivileges=no")
                .doesNotContain("NoNewPrivileges=yes");
    }

    @Test
    void foldersUnderHomeAreRefusedWithTheReason() throws Exception {
        Result r = run(command(root, "--posts", "/home/alice/posts"));
        assertThat(r.status()).isNotZero();
        assertThat(r.output()).contains("/home/alice/posts").contains("ProtectHome=yes");
        assertThat(root.resolve(UNIT)).doesNotExist();
    }

    private Result install(Path into) throws Exception {
        return run(command(into));
    }

    private List<String> command(Path into, String... more) {
        var c = new ArrayList<>(List.of(SCRIPT.toString(), "--root", into.toString()));
        c.addAll(List.of("--jar", jar.toString()));
        c.addAll(
                List.of(
                        "--java",
                        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        c.addAll(List.of(more));
        return c;
    }

    /** Every file and folder under {@code dir} with its modification time. */
    private static Map<Path, FileTime> snapshot(Path dir) throws IOException {
        var out = new LinkedHashMap<Path, FileTime>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted().toList()) {
                out.put(dir.relativize(p), Files.getLastModifiedTime(p));
            }
        }
        return out;
    }

    private record Result(int status, String output) {}

    private static Result run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }
}
