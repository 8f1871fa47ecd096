package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.testing.ApiClient;
import dev.livepost.testing.LiveRun;
import dev.livepost.testing.ServerProcess;
import dev.livepost.testing.Sse;
import dev.livepost.testing.TestApp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server as an unprivileged user, the way {@code install-service} runs it: started by this test
 * (as root) as a system user, in a cgroup the test delegated to it, with subordinate ids in {@code
 * /etc/subuid}; and as a bare uid with neither. Sandboxes must still get a cgroup each inside the
 * delegated one, a host uid each from the subordinate range, and every cap.
 */
class UnprivilegedServerIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String USER = "livepost-test";
    // A range no other test or service of this machine uses (useradd starts at 100000).
    private static final long SUB_FIRST = 3_200_000;
    private static final long SUB_COUNT = 65_536;
    private static final Path CGROUP = Path.of("/sys/fs/cgroup");

    /** Forks until refused; says whether that came before 64 children, and why. */
    private static final String FORK_BOMB =
            """
            import os, time
            children, error = [], None
            for _ in range(500):
                try:
                    pid = os.fork()
                except OSError as e:
                    error = e
                    break
                if pid == 0:
                    time.sleep(60)
                    os._exit(0)
                children.append(pid)
            print(len(children) < 64, type(error).__name__, len(children) > 32)
            """;

    /** Then, once the reader sends a line, ends the children. */
    private static final String FORK_BOMB_END =
            """
            input()
            for pid in children:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            print('ended')
            """;

    private static Path dir;
    private static Path posts;

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue(
                SandboxLauncher.effectiveUid() == 0,
                "making a user, subordinate ids and a delegated cgroup needs root");
        dir = Files.createTempDirectory("livepost-unpriv");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        posts = Files.createDirectory(dir.resolve("posts"));
        Files.writeString(
                posts.resolve("hello.md"),
                """
                ---
                title: Hello
                date: 2026-12-01
                ---

                ::code-runner{id=hi}
                ```python
                print("hi")
                ```
                """);
    }

    @AfterAll
    static void tearDown() {
        if (dir != null) {
            TestApp.deleteRecursively(dir);
        }
    }

    @Test
    void delegatedCgroupAndSubordinateIds() throws Exception {
        long uid = userWithSubordinateIds();
        long gid = Long.parseLong(check(run("id", "-g", USER)).strip());
        Path data = dataFolder(uid);
        try (var cgroup =
                        DelegatedCgroup.create(
                                "livepost-it-" + ProcessHandle.current().pid(), uid);
                var server =
                        ServerProcess.start(
                                new ServerProcess.Options(
                                        posts,
                                        data,
                                        Map.of(
                                                "LIVEPOST_POOL_SIZE",
                                                "2",
                                                "LIVEPOST_MEMORY_MB",
                                                "200"),
                                        uid,
                                        gid,
                                        cgroup.procsFiles()),
                                Duration.ofSeconds(120))) {
            JsonNode health = JSON.readTree(new ApiClient(server.base()).get("/healthz").body());
            assertThat(health.path("executorAvailable").asBoolean()).as(server.output()).isTrue();
            assertThat(health.path("sandboxMode").asText()).isEqualTo("delegated");
            assertThat(health.path("sandboxUids").asText()).isEqualTo("own");
            assertThat(health.path("executorDetail").asText())
                    .as(server.output())
                    .contains("zygote");

            var api = new ApiClient(server.base());
            String a = api.createSession("hello/hi");
            String b = api.createSession("hello/hi");
            assertThat(stdout(api.runCode(a, "import os; print(os.getuid(), os.getgid())")))
                    .isEqualTo("1000 1000\n");
            assertThat(stdout(api.runCode(b, "x = 1; print(x)"))).isEqualTo("1\n");

            // Each live sandbox (two sessions and the pool) has a cgroup of its own inside the
            // delegated one, whose processes run as one subordinate uid, never the server's. A
            // pool refill still being built joined its cgroup before it took its uid (no code
            // runs in it yet, and at the least CPU weight it may take a while): the pool is
            // looked at once it is full again.
            awaitFullPool(api, 2);
            Map<Path, Set<Long>> uids = cgroup.sandboxUids();
            assertThat(uids).hasSizeGreaterThanOrEqualTo(2);
            Set<Long> seen = new HashSet<>();
            for (var entry : uids.entrySet()) {
                assertThat(entry.getValue()).as(entry.getKey().toString()).hasSize(1);
                long host = entry.getValue().iterator().next();
                assertThat(host).isBetween(SUB_FIRST, SUB_FIRST + SUB_COUNT - 1).isNotEqualTo(uid);
                assertThat(seen.add(host)).as("uid %d used twice", host).isTrue();
                assertThat(cgroup.memoryLimit(entry.getKey())).isEqualTo(200L << 20);
            }

            // The memory cap is the sandbox's cgroup: going past it kills the run, and the
            // session goes on in a fresh sandbox.
            List<Sse.Event> hog = api.runCode(a, "x = 'x' * (400 << 20)\nprint(len(x))");
            assertThat(done(hog).path("status").asText()).isEqualTo("killed");
            assertThat(stdout(api.runCode(a, "print('after')"))).contains("after");

            // A fork bomb meets the sandbox's own process cap (its uid's RLIMIT_NPROC and its
            // cgroup's pids.max), not the server user's.
            assertThat(stdout(api.runCode(b, FORK_BOMB + FORK_BOMB_END.replace("input()", ""))))
                    .isEqualTo("True BlockingIOError True\nended\n");
            assertThat(stdout(api.runCode(api.createSession("hello/hi"), "print(2)")))
                    .isEqualTo("2\n");
        }
    }

    @Test
    void plainUnprivilegedUidWithoutDelegationOrSubordinateIds() throws Exception {
        long uid = 64_999; // no passwd entry, no /etc/subuid line, no writable cgroup
        Path data = dataFolder(uid);
        try (var server =
                ServerProcess.start(
                        new ServerProcess.Options(
                                posts,
                                data,
                                Map.of("LIVEPOST_POOL_SIZE", "1"),
                                uid,
                                uid,
                                List.of()),
                        Duration.ofSeconds(120))) {
            var api = new ApiClient(server.base());
            JsonNode health = JSON.readTree(api.get("/healthz").body());
            assertThat(health.path("executorAvailable").asBoolean()).as(server.output()).isTrue();
            assertThat(health.path("sandboxMode").asText()).isEqualTo("unprivileged");
            assertThat(health.path("sandboxUids").asText()).isEqualTo("shared");

            String token = api.createSession("hello/hi");
            // Inside: uid 1000, no capability, a pid namespace of its own (the server and the
            // zygote are not there), no network but loopback.
            String out =
                    stdout(
                            api.runCode(
                                    token,
                                    """
                                    import os, socket
                                    status = dict(l.split(':\\t', 1) for l in open('/proc/self/status') if ':\\t' in l)
                                    print(os.getuid(), status['CapEff'].strip())
                                    print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit())[:2])
                                    try:
                                        socket.create_connection(('1.1.1.1', 53), timeout=2)
                                        print('network')
                                    except OSError:
                                        print('no network')
                                    """));
            assertThat(out).isEqualTo("1000 0000000000000000\n[1]\nno network\n");
            assertThat(
                            stdout(
                                    api.runCode(
                                            token,
                                            "print(len(open('/etc/passwd').read().splitlines()))")))
                    .isEqualTo("1\n");

            // Sandboxes share the server's uid here and no cgroup counts their processes: the
            // cap is each sandbox's own (its user namespaces', see zygote.py). While one sandbox
            // holds as many processes as it may, another still makes as many.
            LiveRun full = api.start(token, "code", FORK_BOMB + FORK_BOMB_END);
            full.awaitStdout("True BlockingIOError True");
            String other = api.createSession("hello/hi");
            assertThat(stdout(api.runCode(other, FORK_BOMB + FORK_BOMB_END.replace("input()", ""))))
                    .isEqualTo("True BlockingIOError True\nended\n");
            api.post("/api/sessions/" + token + "/stdin", Map.of("text", "\n"));
            full.awaitStdout("ended");
        }
    }

    private static void awaitFullPool(ApiClient api, int size) throws InterruptedException {
        String full = "livepost_sandbox_pool_ready " + (double) size;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!api.get("/metrics").body().contains(full) && System.nanoTime() < deadline) {
            Thread.sleep(50); // a gauge: no event to wait on
        }
        assertThat(api.get("/metrics").body()).contains(full);
    }

    private static String stdout(List<Sse.Event> events) {
        return events.stream()
                .filter(e -> e.name().equals("stdout"))
                .map(Sse.Event::text)
                .collect(Collectors.joining());
    }

    private static JsonNode done(List<Sse.Event> events) {
        return events.stream()
                .filter(e -> e.name().equals("done"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no done event: " + events))
                .data();
    }

    private static Path dataFolder(long uid) throws Exception {
        Path data = Files.createDirectory(dir.resolve("data-" + uid));
        run("chown", uid + ":" + uid, data.toString());
        return data;
    }

    /** The test user, made on first use, with a range of subordinate ids. */
    private static long userWithSubordinateIds() throws Exception {
        if (run("id", "-u", USER).exit() != 0) {
            check(
                    run(
                            "useradd",
                            "--system",
                            "--no-create-home",
                            "--shell",
                            "/usr/sbin/nologin",
                            USER));
        }
        boolean hasRange =
                Files.readAllLines(Path.of("/etc/subuid")).stream()
                        .anyMatch(l -> l.startsWith(USER + ":" + SUB_FIRST + ":"));
        if (!hasRange) {
            String range = SUB_FIRST + "-" + (SUB_FIRST + SUB_COUNT - 1);
            check(run("usermod", "--add-subuids", range, "--add-subgids", range, USER));
        }
        return Long.parseLong(check(run("id", "-u", USER)).strip());
    }

    record Result(int exit, String output) {}

    private static Result run(String... command) throws Exception {
        var p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        return new Result(p.waitFor(), out);
    }

    private static String check(Result r) {
        assertThat(r.exit()).as(r.output()).isZero();
        return r.output();
    }

    /**
     * A cgroup made by root and given to {@code uid}, as systemd's {@code Delegate=yes} does: on v2
     * one folder with memory, pids and cpu enabled for it; on v1 one folder in each of the memory,
     * pids, cpu and freezer hierarchies. Removed on close, with whatever the server left.
     */
    private record DelegatedCgroup(List<Path> folders, boolean v2) implements AutoCloseable {
        static DelegatedCgroup create(String name, long uid) throws Exception {
            boolean v2 = Files.exists(CGROUP.resolve("cgroup.controllers"));
            List<Path> folders = new ArrayList<>();
            if (v2) {
                for (String c : List.of("+memory", "+pids", "+cpu")) {
                    try {
                        Files.writeString(CGROUP.resolve("cgroup.subtree_control"), c);
                    } catch (IOException e) {
                        // cpu may be missing; the server says what it could enable
                    }
                }
                folders.add(CGROUP.resolve(name));
            } else {
                for (String c : List.of("memory", "pids", "cpu", "freezer")) {
                    if (Files.isDirectory(CGROUP.resolve(c))) {
                        folders.add(CGROUP.resolve(c).resolve(name));
                    }
                }
            }
            for (Path folder : folders) {
                Files.createDirectories(folder);
                check(run("chown", "-R", uid + ":" + uid, folder.toString()));
            }
            return new DelegatedCgroup(folders, v2);
        }

        List<Path> procsFiles() {
            return folders.stream().map(f -> f.resolve("cgroup.procs")).toList();
        }

        private Path sandboxesFolder() {
            return v2 ? folders.get(0).resolve("sandboxes") : folders.get(0);
        }

        /**
         * Each sandbox cgroup (in the memory hierarchy on v1) with the host uids of its processes.
         */
        Map<Path, Set<Long>> sandboxUids() throws IOException {
            var found = new java.util.TreeMap<Path, Set<Long>>();
            try (Stream<Path> children = Files.list(sandboxesFolder())) {
                for (Path child : children.filter(Files::isDirectory).toList()) {
                    Set<Long> uids = new HashSet<>();
                    for (String pid : Files.readAllLines(child.resolve("cgroup.procs"))) {
                        uids.add(hostUid(pid.strip()));
                    }
                    if (!uids.isEmpty()) {
                        found.put(child, uids);
                    }
                }
            }
            return found;
        }

        long memoryLimit(Path sandbox) throws IOException {
            Path file = sandbox.resolve(v2 ? "memory.max" : "memory.limit_in_bytes");
            return Long.parseLong(Files.readString(file).strip());
        }

        private static long hostUid(String pid) throws IOException {
            return Files.readAllLines(Path.of("/proc", pid, "status")).stream()
                    .filter(l -> l.startsWith("Uid:"))
                    .map(l -> Long.parseLong(l.split("\\s+")[1]))
                    .findFirst()
                    .orElse(-1L);
        }

        @Override
        public void close() throws IOException {
            for (Path folder : folders) {
                if (!Files.isDirectory(folder)) {
                    continue;
                }
                // Deepest first: a cgroup folder goes with rmdir only when it has no children.
                List<Path> all;
                try (Stream<Path> walk = Files.walk(folder)) {
                    all = walk.filter(Files::isDirectory).sorted((x, y) -> y.compareTo(x)).toList();
                }
                for (Path d : all) {
                    try {
                        for (String pid : Files.readAllLines(d.resolve("cgroup.procs"))) {
                            ProcessHandle.of(Long.parseLong(pid.strip()))
                                    .ifPresent(ProcessHandle::destroyForcibly);
                        }
                        Files.deleteIfExists(d);
                    } catch (IOException | NumberFormatException e) {
                        // left for the next run's server, which removes stale sandbox cgroups
                    }
                }
            }
        }
    }
}
