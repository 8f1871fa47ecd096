package dev.livepost.exec.local;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a sandbox sees of the host: the bubblewrap options that build its file system, environment
 * and namespaces. Nothing in them names a path of the server's (its data and working folders reach
 * bwrap only as open files, fds 3 to 6), because the sandbox can read them in {@code
 * /proc/1/cmdline}. Stateless.
 */
final class SandboxView {
    /** Read-only host paths the sandbox sees besides {@code /usr}; absent ones are skipped. */
    static final List<String> ETC =
            List.of(
                    "/etc/alternatives",
                    "/etc/fonts",
                    // The JDK's conf/ files are links into it (lang=java).
                    "/etc/java-17-openjdk",
                    "/etc/ld.so.cache",
                    "/etc/localtime",
                    "/etc/matplotlibrc",
                    "/etc/mime.types",
                    "/etc/python3",
                    "/etc/python3.11");

    /**
     * procfs files that tell about the host (its boot line, kernel build, symbols, devices, disks,
     * swap files, timers, keys): each is covered with {@code /dev/null}, which, mounted without
     * devices, cannot even be opened.
     */
    static final List<String> PROC_MASKED =
            List.of(
                    "/proc/bootconfig",
                    "/proc/buddyinfo",
                    "/proc/cmdline",
                    "/proc/config.gz",
                    "/proc/consoles",
                    "/proc/diskstats",
                    "/proc/iomem",
                    "/proc/ioports",
                    "/proc/kallsyms",
                    "/proc/kcore",
                    "/proc/key-users",
                    "/proc/keys",
                    "/proc/kpagecgroup",
                    "/proc/kpagecount",
                    "/proc/kpageflags",
                    "/proc/latency_stats",
                    "/proc/modules",
                    "/proc/mtrr",
                    "/proc/pagetypeinfo",
                    "/proc/partitions",
                    "/proc/sched_debug",
                    "/proc/slabinfo",
                    "/proc/swaps",
                    "/proc/sysrq-trigger",
                    "/proc/timer_list",
                    "/proc/vmallocinfo",
                    "/proc/zoneinfo");

    /** The sandbox's whole environment (nothing of the server's). */
    static final Map<String, String> ENV = environment();

    /** Where /tmp and /dev/shm point: a hidden folder in the working folder's tmpfs. */
    static final String SCRATCH = "/work/.tmp";

    /** {@code /dev} holds only mount points and links, and is read-only once they are made. */
    private static final long DEV_BYTES = 64 * 1024;

    private SandboxView() {}

    /**
     * {@code bwrap} and its options, up to and including the {@code --} before the command.
     *
     * @param seccomp whether fd 6 holds the seccomp filter
     */
    static List<String> bwrap(Path bwrap, long workDiskBytes, boolean seccomp) {
        List<String> b = new ArrayList<>();
        b.add(bwrap.toString());
        b.addAll(
                List.of(
                        "--unshare-all",
                        "--unshare-user", // required by --disable-userns (all only tries it)
                        "--disable-userns",
                        "--die-with-parent",
                        "--new-session",
                        "--clearenv"));
        ENV.forEach((name, value) -> b.addAll(List.of("--setenv", name, value)));
        b.addAll(List.of("--ro-bind", "/usr", "/usr"));
        for (String dir : List.of("lib", "lib64", "bin", "sbin")) {
            b.addAll(List.of("--symlink", "usr/" + dir, "/" + dir));
        }
        for (String path : ETC) {
            if (Files.exists(Path.of(path))) {
                b.addAll(List.of("--ro-bind", path, path));
            }
        }
        b.addAll(List.of("--ro-bind-data", "3", "/etc/passwd"));
        b.addAll(List.of("--ro-bind-data", "4", "/etc/group"));
        b.addAll(List.of("--ro-bind-data", "5", "/livepost/kernel.py"));
        b.addAll(List.of("--proc", "/proc"));
        for (String path : PROC_MASKED) {
            // Only what exists: bwrap cannot make a mount point in procfs. The host's /proc is
            // the same kernel's, so it lists the same files.
            if (Files.exists(Path.of(path))) {
                b.addAll(List.of("--ro-bind", "/dev/null", path));
            }
        }
        dev(b);
        // One tmpfs for everything the code may write: /tmp and /dev/shm are links into it, so
        // they share the working folder's quota (hidden, so not reported as generated files).
        b.addAll(List.of("--size", String.valueOf(workDiskBytes), "--tmpfs", "/work"));
        b.addAll(List.of("--dir", SCRATCH, "--symlink", SCRATCH, "/tmp"));
        b.addAll(List.of("--hostname", "sandbox", "--chdir", "/work"));
        b.addAll(
                List.of(
                        "--uid",
                        String.valueOf(SandboxLauncher.INNER_UID),
                        "--gid",
                        String.valueOf(SandboxLauncher.INNER_UID)));
        if (seccomp) {
            b.addAll(List.of("--seccomp", "6"));
        }
        b.add("--");
        return b;
    }

    /**
     * A small read-only {@code /dev} instead of bwrap's {@code --dev}, whose tmpfs has no size and
     * stays writable: the usual device nodes, {@code /dev/shm} a link into the working folder's
     * quota, and no {@code /dev/pts} (nothing here needs a terminal).
     */
    private static void dev(List<String> b) {
        b.addAll(List.of("--size", String.valueOf(DEV_BYTES), "--tmpfs", "/dev"));
        for (String node : List.of("null", "zero", "full", "random", "urandom", "tty")) {
            b.addAll(List.of("--dev-bind-try", "/dev/" + node, "/dev/" + node));
        }
        b.addAll(List.of("--symlink", "/proc/self/fd", "/dev/fd"));
        b.addAll(List.of("--symlink", "/proc/self/fd/0", "/dev/stdin"));
        b.addAll(List.of("--symlink", "/proc/self/fd/1", "/dev/stdout"));
        b.addAll(List.of("--symlink", "/proc/self/fd/2", "/dev/stderr"));
        b.addAll(List.of("--symlink", SCRATCH, "/dev/shm"));
        b.addAll(List.of("--remount-ro", "/dev"));
    }

    private static Map<String, String> environment() {
        var env = new LinkedHashMap<String, String>();
        env.put("HOME", "/work");
        env.put("PATH", "/usr/bin:/bin");
        env.put("USER", "sandbox");
        env.put("LOGNAME", "sandbox");
        env.put("LANG", "C.UTF-8");
        env.put("MPLBACKEND", "Agg");
        env.put("MPLCONFIGDIR", "/tmp/mpl");
        // Caches go to /tmp, a hidden folder of /work that is not listed as generated files.
        env.put("XDG_CACHE_HOME", "/tmp/.cache");
        env.put("XDG_CONFIG_HOME", "/tmp/.config");
        env.put("OPENBLAS_NUM_THREADS", "1");
        env.put("OMP_NUM_THREADS", "1");
        env.put("MKL_NUM_THREADS", "1");
        env.put("PYTHONDONTWRITEBYTECODE", "1");
        env.put("PYTHONUNBUFFERED", "1");
        return Collections.unmodifiableMap(env);
    }
}
