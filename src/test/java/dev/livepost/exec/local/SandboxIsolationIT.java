package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.exec.RunStatus;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What sandboxed code must not be able to do, tried for real. */
class SandboxIsolationIT {
    @TempDir static Path data;
    static LocalSandboxes sandboxes;

    @BeforeAll
    static void start() {
        sandboxes = LocalSandboxes.available(data, Map.of("LIVEPOST_POOL_SIZE", "2"));
    }

    @AfterAll
    static void stop() {
        sandboxes.close();
    }

    @Test
    void cannotReachTheHostsNetwork() throws IOException {
        try (var server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            var run =
                    sandboxes.run(
                            sandboxes.open(),
                            """
                            import socket
                            try:
                                socket.create_connection(('127.0.0.1', %d), timeout=3)
                                print('connected')
                            except OSError as e:
                                print('refused', type(e).__name__)
                            print(sorted(l.split(':')[0].strip() for l in open('/proc/net/dev').readlines()[2:]))
                            """
                                    .formatted(server.getLocalPort()));
            assertThat(run.stdout()).startsWith("refused").endsWith("['lo']\n");
        }
    }

    @Test
    void cannotReadHostFiles() throws IOException {
        Path secret = data.resolve("secret.txt");
        Files.writeString(secret, "host secret");
        var run =
                sandboxes.run(
                        sandboxes.open(),
                        """
                        import os
                        for p in ['/root', '/etc/shadow', '/home', %s, '/etc/hostname', '/proc/1/root/etc/shadow']:
                            try:
                                if os.path.isdir(p):
                                    print(p, 'listed', os.listdir(p))
                                else:
                                    print(p, 'read', open(p).read()[:20])
                            except OSError as e:
                                print(p, 'denied', type(e).__name__)
                        print(os.uname().nodename, sorted(os.listdir('/')))
                        """
                                .formatted("'" + secret + "'"));
        String out = run.stdout();
        assertThat(out).doesNotContain("host secret", "read", "listed");
        assertThat(out).contains("/etc/shadow denied", secret + " denied", "/root denied");
        assertThat(out)
                .endsWith(
                        "sandbox ['bin', 'dev', 'etc', 'lib', 'lib64', 'livepost', 'proc', 'sbin', 'tmp', 'usr', 'work']\n");
    }

    @Test
    void sessionsDoNotSeeEachOther() {
        String a = sandboxes.open();
        String b = sandboxes.open();
        sandboxes.run(
                a, "open('/work/mine.txt', 'w').write('a secret'); open('/tmp/t', 'w').write('x')");
        var run =
                sandboxes.run(
                        b,
                        "import os\nprint(os.listdir('/work'), os.listdir('/tmp'))\n"
                                + "print(sorted(p for p in os.listdir('/proc') if p.isdigit()))");
        assertThat(run.stdout()).startsWith("[] [").doesNotContain("mine.txt", "'t'");
        // Only the sandbox's own init and kernel exist in its process namespace.
        assertThat(run.stdout()).endsWith("['1', '2']\n");
    }

    @Test
    void runsAsNonRootInsideAndOutside() throws IOException {
        var run =
                sandboxes.run(
                        sandboxes.open(),
                        "print([l.split() for l in open('/proc/self/status') if l.startswith(('Uid', 'CapEff'))])");
        assertThat(run.stdout())
                .isEqualTo(
                        "[['Uid:', '1000', '1000', '1000', '1000'], ['CapEff:', '0000000000000000']]\n");
        List<ProcessHandle> kernels =
                ProcessHandle.current()
                        .descendants()
                        .filter(p -> p.info().command().orElse("").endsWith("python3.11"))
                        // In a sandbox: not the zygote, nor a fork of it still entering one.
                        .filter(p -> isInASandbox(p.pid()))
                        .toList();
        assertThat(kernels).isNotEmpty();
        for (ProcessHandle kernel : kernels) {
            String uid =
                    Files.readAllLines(Path.of("/proc", String.valueOf(kernel.pid()), "status"))
                            .stream()
                            .filter(l -> l.startsWith("Uid:"))
                            .findFirst()
                            .orElseThrow()
                            .split("\\s+")[1];
            assertThat(Integer.parseInt(uid)).isNotZero();
            if (sandboxes.executor.health().detail().contains("uid of its own")) {
                assertThat(Integer.parseInt(uid)).isGreaterThanOrEqualTo(200_000);
            }
        }
    }

    /** Whether a process is in a pid namespace other than the server's (false if it is gone). */
    static boolean isInASandbox(long pid) {
        try {
            Path own = Files.readSymbolicLink(Path.of("/proc/self/ns/pid"));
            return !Files.readSymbolicLink(Path.of("/proc", String.valueOf(pid), "ns", "pid"))
                    .equals(own);
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void forkBombIsContainedByTheProcessLimit() {
        String token = sandboxes.open();
        var run =
                sandboxes.run(
                        token,
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
                        print(len(children) < 64, type(error).__name__)
                        for pid in children:
                            os.kill(pid, 9)
                            os.waitpid(pid, 0)
                        """);
        assertThat(run.stdout()).isEqualTo("True BlockingIOError\n");
        assertThat(sandboxes.run(token, "print('alive')").stdout()).isEqualTo("alive\n");
    }

    @Test
    void memoryHogIsStoppedAndTheSessionRecovers() {
        String token = sandboxes.open();
        long start = System.nanoTime();
        var run = sandboxes.run(token, "x = 'x' * (2 << 30)\nprint(len(x))");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(25));
        var status = run.done().status();
        assertThat(status).isIn(RunStatus.KILLED, RunStatus.ERROR);
        if (status == RunStatus.KILLED) {
            assertThat(run.notices()).contains("memory limit");
        } else {
            assertThat(run.stderr()).contains("MemoryError");
        }
        assertThat(sandboxes.run(token, "print('recovered')").stdout()).isEqualTo("recovered\n");
    }

    @Test
    void diskOfTheWorkingFolderIsCapped() {
        var run =
                sandboxes.run(
                        sandboxes.open(),
                        """
                        try:
                            with open('/work/big', 'wb') as f:
                                for _ in range(200):
                                    f.write(b'x' * (1 << 20))
                        except OSError as e:
                            print(type(e).__name__, e.errno)
                        import os
                        os.remove('/work/big')
                        """);
        // ENOSPC from the 64 MB tmpfs, or EFBIG from the 32 MB file size limit first.
        assertThat(run.stdout()).matches("OSError (28|27)\n");
    }

    @Test
    void dangerousSystemCallsAreRefused() {
        var run =
                sandboxes.run(
                        sandboxes.open(),
                        """
                        import ctypes, os, subprocess
                        libc = ctypes.CDLL(None, use_errno=True)
                        for name, nr, arg in [('unshare', 272, 0x10000000), ('keyctl', 250, 0),
                                              ('ptrace', 101, 16), ('bpf', 321, 0), ('mount', 165, 0)]:
                            r = libc.syscall(nr, arg, 0, 0, 0)
                            print(name, r, os.strerror(ctypes.get_errno()))
                        print(subprocess.run(['/bin/echo', 'spawn works'], capture_output=True).stdout)
                        """);
        String expected =
                "unshare -1 Operation not permitted\n"
                        + "keyctl -1 Operation not permitted\n"
                        + "ptrace -1 Operation not permitted\n"
                        + "bpf -1 Operation not permitted\n"
                        + "mount -1 Operation not permitted\n"
                        + "b'spawn works\\n'\n";
        assertThat(run.stdout()).isEqualTo(expected);
    }

    @Test
    void writingToTheProtocolChannelCostsOnlyTheSandbox() {
        String token = sandboxes.open();
        var run =
                sandboxes.run(
                        token,
                        """
                        import os, stat
                        for fd in sorted(map(int, os.listdir('/proc/self/fd'))):
                            try:
                                if fd > 2 and stat.S_ISFIFO(os.fstat(fd).st_mode):
                                    for _ in range(40):
                                        os.write(fd, b'x' * (1 << 20))  # one endless line
                            except OSError:
                                pass
                        print('survived')
                        """);
        assertThat(run.stdout()).doesNotContain("survived");
        assertThat(run.done().status()).isEqualTo(RunStatus.KILLED);
        assertThat(sandboxes.run(token, "print('fresh')").stdout()).isEqualTo("fresh\n");
    }

    @Test
    void hugeDisplayValueIsCapped() {
        var run = sandboxes.run(sandboxes.open(), "'x' * 30_000_000");
        assertThat(run.done().status()).isEqualTo(RunStatus.OK);
        assertThat(
                        run.all(dev.livepost.exec.RunEvent.Display.class)
                                .get(0)
                                .mime()
                                .get("text/plain"))
                .hasSize((256 << 10) + 3);
    }
}
