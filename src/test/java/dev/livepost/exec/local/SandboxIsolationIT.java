package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.exec.RunStatus;
import dev.livepost.testing.Adversarial;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What sandboxed code must not be able to do, tried for real. */
@Adversarial
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
        // Readable by anyone on the host, so only the sandbox's view of the filesystem hides it,
        // also where a process of the sandbox could show its root through /proc/<pid>/root.
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path secret = data.resolve("secret.txt");
        Files.writeString(secret, "host secret");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
        var run =
                sandboxes.run(
                        sandboxes.open(),
                        """
                        import os
                        for p in ['/root', '/etc/shadow', '/home', %s, '/etc/hostname', '/proc/1/root/etc/shadow', '/proc/1/root' + %<s]:
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
        assertThat(out)
                .contains(
                        "/etc/shadow denied",
                        secret + " denied",
                        "/proc/1/root" + secret + " denied",
                        "/root denied");
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
        // Empty, but for /work/.tmp where /tmp points on the bubblewrap launcher.
        assertThat(run.stdout())
                .matches("(?s)(\\[\\]|\\['\\.tmp'\\]) \\[.*")
                .doesNotContain("mine.txt", "'t'");
        // Only the sandbox's own processes exist in its process namespace: its kernel, which is
        // pid 1 on the zygote launcher, and bubblewrap's init before it on the other.
        assertThat(run.stdout()).endsWith(sandboxes.zygote() ? "['1']\n" : "['1', '2']\n");
    }

    @Test
    void runsAsNonRootInsideAndOutside() throws IOException {
        String token = sandboxes.open();
        var run =
                sandboxes.run(
                        token,
                        "print([l.split() for l in open('/proc/self/status') if l.startswith(('Uid', 'CapEff'))])");
        assertThat(run.stdout())
                .isEqualTo(
                        "[['Uid:', '1000', '1000', '1000', '1000'], ['CapEff:', '0000000000000000']]\n");
        // This session's kernel as the host sees it; a fork of the zygote that is still being
        // built (the pool refilling) is root on the host until it becomes its sandbox's uid.
        ProcessHandle kernel = sandboxes.frozenKernel(token);
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
    void forgedProtocolMessagesConfuseOnlyTheirOwnSessionAndNoLimit() {
        String token = sandboxes.open();
        var run =
                sandboxes.run(
                        token,
                        """
                        import base64, gc, time
                        channel = next(o for o in gc.get_objects() if type(o).__name__ == 'Channel')
                        channel.send(type='done', id='not-this-run', status='ok', exit=0)
                        evil = base64.b64encode(b'<script>alert(1)</script>').decode()
                        channel.send(type='file', name='evil.png', mime='text/html', data=evil, size=25)
                        time.sleep(0.5)
                        print('still running')
                        """);

        assertThat(run.stdout()).isEqualTo("still running\n");
        assertThat(run.done().status()).isEqualTo(RunStatus.OK);
        assertThat(run.all(dev.livepost.exec.RunEvent.File.class))
                .singleElement()
                .satisfies(f -> assertThat(f.mime()).isEqualTo("application/octet-stream"));
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

    @Test
    void procShowsNoHostPathAndNoOuterUid() throws IOException {
        var run =
                sandboxes.run(
                        sandboxes.open(),
                        """
                        import os
                        def link(p):
                            try:
                                return os.readlink(p)
                            except OSError as e:  # the fd that lists the folder is gone
                                return type(e).__name__
                        for pid in sorted(p for p in os.listdir('/proc') if p.isdigit()):
                            d = '/proc/' + pid
                            print(pid, 'environ', open(d + '/environ', 'rb').read())
                            print(pid, 'cmdline', open(d + '/cmdline', 'rb').read())
                            print(pid, 'cwd', os.readlink(d + '/cwd'), 'root', os.readlink(d + '/root'))
                            print(pid, 'fds', [link(d + '/fd/' + f) for f in os.listdir(d + '/fd')])
                            print(pid, [l for l in open(d + '/status') if l.startswith(('Uid', 'Gid'))])
                            print(pid, 'uid_map', open(d + '/uid_map').read().split())
                        print('mountinfo', open('/proc/self/mountinfo').read())
                        for p in ['/proc/cmdline', '/proc/config.gz', '/proc/kallsyms', '/proc/modules',
                                  '/proc/keys', '/proc/timer_list', '/proc/swaps', '/proc/partitions']:
                            try:
                                print(p, 'read', open(p, 'rb').read(40))
                            except OSError as e:
                                print(p, 'denied', type(e).__name__)
                        """);
        String out = run.stdout();
        assertThat(run.done().status()).as(run.stderr()).isEqualTo(RunStatus.OK);
        // The kernel: pid 1 on the zygote launcher, pid 2 under bubblewrap's init.
        String kernel = sandboxes.zygote() ? "1" : "2";
        assertThat(out).contains("1 environ", kernel + " environ", "mountinfo", " /work rw,");
        // No path of the server: its data folder, its working folder, its home.
        assertThat(out)
                .doesNotContain(
                        data.toString(),
                        Path.of("").toAbsolutePath().toString(),
                        System.getProperty("user.home") + "/",
                        "PWD=/work/",
                        "sandbox/kernel.py",
                        "sandbox/passwd");
        // The sandbox's first processes hold nothing but the sandbox's own environment (plus
        // bwrap's PWD=/), whichever launcher started them.
        for (String pid : sandboxes.zygote() ? List.of("1") : List.of("1", "2")) {
            String environ =
                    out.lines()
                            .filter(l -> l.startsWith(pid + " environ "))
                            .findFirst()
                            .orElseThrow();
            for (String entry : environ.split("\\\\x00")) {
                String name = entry.replaceFirst("^" + pid + " environ b'", "").split("=")[0];
                if (!name.isEmpty() && !name.equals("'") && !name.equals("PWD")) {
                    assertThat(SandboxView.ENV.keySet()).as(environ).contains(name);
                }
            }
        }
        assertThat(out).contains(kernel + " cwd /work root /");
        // A file that tells about the host cannot be opened, reads empty, or was never there.
        assertThat(out)
                .doesNotContainPattern("/proc/\\S+ read b'.+'")
                .containsPattern("/proc/cmdline (denied|read b'')")
                .containsPattern("/proc/kallsyms (denied|read b'')");
        // The outer uid (the sandbox's own, or the server's) appears only where the kernel prints
        // a tmpfs's owner in the host's numbers (a tmpfs mounted in a user namespace cannot be
        // owned by root). Both launchers nest a second user namespace whose uid_map says 1000 is
        // 1000.
        assertThat(out).contains(kernel + " uid_map ['1000', '1000', '1']");
        String uidsHidden =
                out.replaceAll("\\buid=\\d+,gid=\\d+\\b", "uid=?,gid=?")
                        .replaceAll(":\\[\\d+\\]", ":[inode]");
        for (long uid : kernelUids()) {
            assertThat(uidsHidden).doesNotContainPattern("\\b" + uid + "\\b");
        }
    }

    @Test
    void devIsReadOnlyAndSmall() {
        var run =
                sandboxes.run(
                        sandboxes.open(),
                        """
                        import multiprocessing, os
                        for p in ['/dev/big', '/dev/null2']:
                            try:
                                open(p, 'wb').write(b'x' * (1 << 20))
                                print(p, 'written')
                            except OSError as e:
                                print(p, 'refused', e.errno)
                        v = os.statvfs('/dev')
                        print('dev size', v.f_blocks * v.f_frsize <= 64 * 1024)
                        open('/dev/null', 'w').write('discarded')
                        print(len(open('/dev/urandom', 'rb').read(8)), sorted(os.listdir('/dev')))
                        lock = multiprocessing.Lock()  # a semaphore in /dev/shm
                        with lock:
                            print('lock works')
                        """);
        assertThat(run.stdout())
                .isEqualTo(
                        "/dev/big refused 30\n/dev/null2 refused 30\ndev size True\n"
                                + "8 ['fd', 'full', 'null', 'random', 'shm', 'stderr', 'stdin',"
                                + " 'stdout', 'tty', 'urandom', 'zero']\nlock works\n");
    }

    @Test
    void tmpAndWorkShareOneQuota() {
        var run =
                sandboxes.run(
                        sandboxes.open(),
                        """
                        import os
                        written, error = 0, None
                        try:
                            for i in range(30):  # 16 MB files, under the 32 MB file size limit
                                with open(['/tmp', '/work', '/dev/shm'][i % 3] + '/f%d' % i, 'wb') as f:
                                    for _ in range(16):
                                        f.write(b'x' * (1 << 20))
                                        f.flush()
                                        written += 1
                        except OSError as e:
                            error = e.errno
                        print(written <= 64, error)
                        """);
        assertThat(run.stdout()).isEqualTo("True 28\n");
    }

    /** Host uids of the sandboxes' kernels, seen from outside. */
    private static List<Long> kernelUids() throws IOException {
        var uids = new java.util.ArrayList<Long>();
        for (ProcessHandle kernel :
                ProcessHandle.current()
                        .descendants()
                        .filter(p -> p.info().command().orElse("").endsWith("python3.11"))
                        .toList()) {
            for (String line : Files.readAllLines(Path.of("/proc/" + kernel.pid() + "/status"))) {
                // Without root the outer uid is the server's, which may be 1000 as inside; the
                // zygote, whose kernels are forked from it, is root, which is no secret.
                String uid = line.startsWith("Uid:") ? line.split("\\s+")[1] : "1000";
                if (!uid.equals("1000") && !uid.equals("0")) {
                    uids.add(Long.parseLong(line.split("\\s+")[1]));
                }
            }
        }
        return uids;
    }
}
