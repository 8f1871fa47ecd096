package dev.livepost;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's own decisions, its functions run by the real bash (sourced, the launcher defines
 * its lists and functions and returns): what serve needs, and what it says where AppArmor forbids
 * user namespaces.
 */
class LauncherTest {
    static final Path LAUNCHER = Path.of("livepost").toAbsolutePath();

    /** The commands the launcher's checks use, and the sandbox's; never mvn, node or npm. */
    private static final List<String> TOOLS =
            List.of(
                    "bash", "find", "sed", "tr", "sort", "cat", "id", "dirname", "bwrap",
                    "setpriv");

    @TempDir Path dir;
    private Path root;
    private Path bin;

    @BeforeEach
    void aCheckoutWithAJarAndAPathWithoutBuildTools() throws IOException {
        root = Files.createDirectories(dir.resolve("checkout"));
        for (String source : List.of("pom.xml", "src/main/A.java", "frontend/build.mjs")) {
            Path p = root.resolve(source);
            Files.createDirectories(p.getParent());
            Files.writeString(p, "x");
            Files.setLastModifiedTime(p, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
        }
        Files.createDirectories(root.resolve("target"));
        Files.writeString(root.resolve("target/livepost.jar"), "jar");
        bin = Files.createDirectories(dir.resolve("bin"));
        for (String tool : TOOLS) {
            Path real = which(tool);
            if (real != null) {
                Files.createSymbolicLink(bin.resolve(tool), real);
            }
        }
    }

    @Test
    void serveNeedsNeitherMavenNorNodeWhenTheJarIsUpToDate() throws Exception {
        assertThat(lines(functions("missing_for_run"))).doesNotContain("maven", "nodejs", "npm");
    }

    @Test
    void serveNeedsMavenAndNodeWhenTheJarMustBeBuilt() throws Exception {
        Files.setLastModifiedTime(root.resolve("src/main/A.java"), FileTime.from(Instant.now()));
        assertThat(lines(functions("missing_for_run"))).contains("maven", "nodejs", "npm");
        Files.delete(root.resolve("target/livepost.jar"));
        assertThat(lines(functions("missing_for_run"))).contains("maven", "nodejs", "npm");
    }

    @Test
    void theTestsAlwaysNeedTheBuildTools() throws Exception {
        assertThat(lines(functions("missing_for_test"))).contains("maven", "nodejs", "npm");
    }

    @Test
    void whereAppArmorForbidsUserNamespacesTheExactFixIsPrinted() throws Exception {
        String said = userns("1", false, false);
        assertThat(said)
                .contains("AppArmor forbids unprivileged user namespaces here")
                .contains("sudo tee /etc/apparmor.d/bwrap")
                .contains("profile bwrap /usr/bin/bwrap flags=(unconfined) {")
                .contains("  userns,")
                .contains("sudo apparmor_parser -r /etc/apparmor.d/bwrap")
                .contains("bwrap-userns-restrict")
                .contains("sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0");
    }

    @Test
    void nothingIsSaidWhereBwrapWorksOrTheRestrictionIsOffOrTheServerIsRoot() throws Exception {
        assertThat(userns("0", false, false)).isEmpty();
        assertThat(userns("1", true, false)).as("a profile allows bwrap already").isEmpty();
        assertThat(userns("1", false, true))
                .as("root needs no user namespace of its own")
                .isEmpty();
    }

    /** What check_userns says, with the restriction's file, bwrap and root faked. */
    private String userns(String restricted, boolean bwrapWorks, boolean root)
            throws IOException, InterruptedException {
        Path flag = Files.writeString(dir.resolve("restrict"), restricted + "\n");
        Path fakes = Files.createDirectories(dir.resolve("fakes"));
        Path bwrap = fakes.resolve("bwrap");
        Files.writeString(
                bwrap,
                bwrapWorks
                        ? "#!/bin/sh\nexit 0\n"
                        : "#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\n"
                                + "exit 1\n");
        Files.setPosixFilePermissions(bwrap, PosixFilePermissions.fromString("rwxr-xr-x"));
        return functions(
                "USERNS_RESTRICT="
                        + flag
                        + "; PATH="
                        + fakes
                        + ":$PATH; is_root() { "
                        + root
                        + "; }; check_userns 2>&1");
    }

    /** Runs {@code script} after sourcing the launcher, as if it lived in the fake checkout. */
    String functions(String script) throws IOException, InterruptedException {
        var pb =
                new ProcessBuilder(
                        which("bash").toString(),
                        "-c",
                        "source \"$1\"; ROOT=\"$2\"; JAR=\"$2/target/livepost.jar\"; " + script,
                        "bash",
                        LAUNCHER.toString(),
                        root.toString());
        pb.environment().put("PATH", bin.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new String(out, StandardCharsets.UTF_8);
    }

    private static List<String> lines(String s) {
        return s.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    static Path which(String tool) {
        for (String d : System.getenv("PATH").split(":")) {
            Path p = Path.of(d, tool);
            if (Files.isExecutable(p)) {
                return p.toAbsolutePath();
            }
        }
        return null;
    }
}
