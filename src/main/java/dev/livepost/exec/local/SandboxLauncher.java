package dev.livepost.exec.local;

import dev.livepost.Limits;
import dev.livepost.LivepostException;
import dev.livepost.exec.KernelScripts;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Starts sandboxed kernels: {@code sh} (joins the cgroups, opens the files bwrap copies in) →
 * {@code prlimit} → {@code setpriv} (only when the server is root: drops to a uid of the sandbox's
 * own) → {@code bwrap} → {@code /usr/bin/python3 -I} running our kernel; or forks them from a
 * {@link Zygote}. Which uid a sandbox gets is {@link SandboxIds}'s to say. Thread-safe.
 */
final class SandboxLauncher {
    private static final org.slf4j.Logger log =
            org.slf4j.LoggerFactory.getLogger(SandboxLauncher.class);
    static final String PYTHON = "/usr/bin/python3";
    static final Path BWRAP = Path.of("/usr/bin/bwrap");

    /** The sandbox's user inside its namespace. */
    static final int INNER_UID = 1000;

    /**
     * Sandboxes that start at once: enough to keep every core busy while one waits for the zygote
     * to fork it or for the server to read its {@code ready}.
     */
    static final int STARTS_AT_ONCE = 2 * Runtime.getRuntime().availableProcessors();

    private final Limits limits;
    private final Path bwrap;
    private final SandboxLimits sandboxLimits;
    private final Path files;
    private final Path seccomp;
    private final SandboxIds ids;
    private final String instance;
    private final BitSet slotsInUse = new BitSet(SandboxIds.MAX_SLOTS);
    private final AtomicLong counter = new AtomicLong();
    private final AtomicInteger live = new AtomicInteger();
    final Semaphore starting = new Semaphore(STARTS_AT_ONCE, true); // package-private for tests
    private final AtomicLong missedTurns = new AtomicLong();
    private final int maxSandboxes;
    private volatile Zygote zygote;
    private final AtomicLong zygoteStarts = new AtomicLong();
    private final AtomicLong bwrapStarts = new AtomicLong();
    private volatile Consumer<Zygote> zygoteDeath = dead -> dead.close();

    /**
     * @param dataDir the server's data folder; the kernel and generated {@code /etc} files go to
     *     {@code sandbox/} in it
     * @param bwrap the bubblewrap binary
     * @param seccomp a compiled BPF filter for {@code bwrap --seccomp}, or null
     */
    SandboxLauncher(
            Limits limits,
            Path bwrap,
            SandboxLimits sandboxLimits,
            Path dataDir,
            Path seccomp,
            String instance,
            SandboxIds ids) {
        this.limits = limits;
        this.bwrap = bwrap;
        this.sandboxLimits = sandboxLimits;
        this.files = dataDir.resolve("sandbox");
        this.seccomp = seccomp;
        this.instance = instance;
        this.ids = ids;
        this.maxSandboxes = maxSandboxes(limits, sandboxLimits.perSandbox(), ids.slots());
        writeFiles();
    }

    private void writeFiles() {
        try {
            Files.createDirectories(files);
            Files.writeString(
                    files.resolve("passwd"),
                    "sandbox:x:" + INNER_UID + ":" + INNER_UID + ":sandbox:/work:/bin/sh\n");
            Files.writeString(files.resolve("group"), "sandbox:x:" + INNER_UID + ":\n");
            Files.writeString(files.resolve("kernel.py"), KernelScripts.local());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write sandbox files to " + files, e);
        }
    }

    /** The server's effective uid, from {@code /proc/self/status}; -1 if unknown. */
    static long effectiveUid() {
        return effectiveId("Uid:");
    }

    /** The server's effective gid; -1 if unknown. */
    static long effectiveGid() {
        return effectiveId("Gid:");
    }

    private static long effectiveId(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.split("\\s+")[2]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through: treated as not root, the safe side for setpriv
        }
        return -1;
    }

    int maxSandboxes() {
        return maxSandboxes;
    }

    /** Sandboxes started and not yet killed. */
    int live() {
        return live.get();
    }

    boolean root() {
        return ids.mode() == SandboxIds.Mode.ROOT;
    }

    SandboxIds ids() {
        return ids;
    }

    SandboxLimits limits() {
        return sandboxLimits;
    }

    /**
     * Starts a kernel and waits until it has imported its libraries, with as long to wait for its
     * turn as to come up.
     *
     * @throws LivepostException {@code executor_unavailable} when it does not come up
     */
    Sandbox start(Duration readyWithin) {
        return start(readyWithin, readyWithin);
    }

    /**
     * Starts a kernel and waits until it has imported its libraries. At most {@link
     * #STARTS_AT_ONCE} sandboxes start at a time, the others wait their turn in the order they
     * came: a sandbox's start is CPU-bound, and a hundred started at once would share the CPU until
     * every one of them is late, where in turn the first readers are served first.
     *
     * @param turnWithin how long to wait for a turn; a reader waits no longer than for a busy
     *     sandbox, and is then told to come back instead of being held until its connection times
     *     out
     * @throws LivepostException {@code 503 executor_busy} with {@code Retry-After} when no turn
     *     came; {@code executor_unavailable} when the sandbox does not come up
     */
    Sandbox start(Duration turnWithin, Duration readyWithin) {
        return start(turnWithin, readyWithin, false);
    }

    /**
     * As {@link #start(Duration, Duration)}; a sandbox started {@code inBackground} (for the pool)
     * gets CPU only where running code leaves it until {@link Sandbox#background(boolean)} says
     * otherwise.
     */
    Sandbox start(Duration turnWithin, Duration readyWithin, boolean inBackground) {
        try {
            if (!starting.tryAcquire(turnWithin.toNanos(), TimeUnit.NANOSECONDS)) {
                missedTurns.incrementAndGet();
                throw LivepostException.retryLater(
                        503,
                        "executor_busy",
                        "This server is starting sandboxes for other readers as fast as it can;"
                                + " try again in a few seconds.",
                        turnWithin.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw LivepostException.unavailable("interrupted while waiting to start a sandbox");
        }
        try {
            return startNow(readyWithin, inBackground);
        } finally {
            starting.release();
        }
    }

    /** Sandboxes waiting for their turn to start now. */
    int waitingToStart() {
        return starting.getQueueLength();
    }

    /** Starts refused since the server started because no turn came in time. */
    long missedTurns() {
        return missedTurns.get();
    }

    private Sandbox startNow(Duration readyWithin, boolean inBackground) {
        if (live.incrementAndGet() > maxSandboxes) {
            live.decrementAndGet();
            throw LivepostException.unavailable(
                    "The server runs as many sandboxes as its memory allows ("
                            + maxSandboxes
                            + "); try again when other sessions have ended.");
        }
        int index;
        try {
            index = allocateSlot();
        } catch (LivepostException e) {
            live.decrementAndGet();
            throw e;
        }
        String name = index + "-" + counter.incrementAndGet();
        SandboxLimits.Slot slot;
        try {
            slot = sandboxLimits.create(name);
        } catch (UncheckedIOException e) {
            release(index);
            throw LivepostException.unavailable("cannot limit a new sandbox: " + e.getMessage());
        }
        if (inBackground) {
            slot.background(true);
        }
        Zygote z = zygote;
        if (z != null && !z.alive()) {
            log.warn("the zygote (pid {}) died; sandboxes are started by bubblewrap", z.pid());
            zygote = null;
            zygoteDeath.accept(z);
            z = null;
        }
        if (z != null) {
            SandboxProcess child;
            try {
                child =
                        z.spawn(
                                ids.zygoteUid(index),
                                slot.cgroupProcs(),
                                zygoteRlimits(),
                                readyWithin);
            } catch (LivepostException | IllegalStateException e) {
                slot.close();
                release(index);
                throw e instanceof LivepostException le
                        ? le
                        : LivepostException.unavailable(e.getMessage());
            }
            zygoteStarts.incrementAndGet();
            // From here on, a sandbox that does not come up is killed and released by awaitReady.
            var sandbox = new Sandbox(child, slot, limits.maxFileBytes(), () -> release(index));
            sandbox.awaitReady(readyWithin);
            return sandbox;
        }
        try {
            var pb =
                    new ProcessBuilder(
                            command(
                                    slot,
                                    ids.bubblewrapUid(index),
                                    List.of(
                                            PYTHON,
                                            "-I",
                                            "-B",
                                            "-u",
                                            "/livepost/kernel.py",
                                            String.valueOf(limits.maxFileBytes()))));
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/bin:/bin");
            // The sandbox's first process (bwrap) keeps the environment and folder it started
            // with, and code can read them in /proc/1: nothing of the server's must be there.
            // (sh exports PWD, so the folder is in the environment too.)
            pb.directory(new File("/"));
            Process process = pb.start();
            bwrapStarts.incrementAndGet();
            var sandbox =
                    new Sandbox(
                            SandboxProcess.of(process),
                            slot,
                            limits.maxFileBytes(),
                            () -> release(index));
            sandbox.awaitReady(readyWithin);
            return sandbox;
        } catch (IOException e) {
            slot.close();
            release(index);
            throw LivepostException.unavailable("cannot start the sandbox: " + e.getMessage());
        }
    }

    /** The full command line that runs {@code inner} in a new sandbox. */
    List<String> command(SandboxLimits.Slot slot, int uid, List<String> inner) {
        var script = new StringBuilder();
        for (String join : slot.joinCommands()) {
            script.append(join).append(" && ");
        }
        script.append("exec \"$@\" 3<").append(Shell.quote(files.resolve("passwd").toString()));
        script.append(" 4<").append(Shell.quote(files.resolve("group").toString()));
        script.append(" 5<").append(Shell.quote(files.resolve("kernel.py").toString()));
        if (seccomp != null) {
            script.append(" 6<").append(Shell.quote(seccomp.toString()));
        }
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", script.toString(), "sh"));
        cmd.addAll(
                List.of(
                        "/usr/bin/prlimit",
                        "--fsize=" + limits.fileSizeBytes(),
                        "--nofile=" + limits.openFiles(),
                        "--core=0"));
        if (uid >= 0) {
            // RLIMIT_NPROC counts per uid: meaningful only for a uid of the sandbox's own.
            cmd.add("--nproc=" + limits.maxProcesses());
        }
        if (!sandboxLimits.perSandbox()) {
            cmd.add("--as=" + SandboxLimits.RlimitsOnly.addressSpace(limits));
        }
        cmd.add("--");
        if (uid >= 0) {
            cmd.addAll(
                    List.of(
                            "/usr/bin/setpriv",
                            "--reuid=" + uid,
                            "--regid=" + uid,
                            "--clear-groups",
                            "--inh-caps=-all",
                            "--"));
        }
        cmd.addAll(SandboxView.bwrap(bwrap, limits.workDiskBytes(), seccomp != null));
        cmd.addAll(inner);
        return cmd;
    }

    /** Starts sandboxes as forks of a zygote from now on (null: bubblewrap again). */
    void useZygote(Zygote zygote) {
        this.zygote = zygote;
    }

    Zygote zygote() {
        return zygote;
    }

    /** Sandboxes started so far by forks of the zygote, or by bubblewrap. */
    long starts(boolean byZygote) {
        return (byZygote ? zygoteStarts : bwrapStarts).get();
    }

    /** Called, once per zygote, by the start that finds it dead (with bubblewrap standing in). */
    void onZygoteDeath(Consumer<Zygote> then) {
        this.zygoteDeath = then;
    }

    /** What the zygote gives every sandbox (see {@code zygote.py}). */
    Map<String, Object> zygoteConfig() {
        var cfg = new LinkedHashMap<String, Object>();
        cfg.put("passwd", "sandbox:x:" + INNER_UID + ":" + INNER_UID + ":sandbox:/work:/bin/sh\n");
        cfg.put("group", "sandbox:x:" + INNER_UID + ":\n");
        cfg.put("disk", limits.workDiskBytes());
        cfg.put("maxFile", limits.maxFileBytes());
        cfg.put("env", SandboxView.ENV);
        cfg.put("etc", SandboxView.ETC);
        cfg.put("masked", SandboxView.PROC_MASKED);
        cfg.put("userns", ids.zygoteNamespace(effectiveUid(), effectiveGid()));
        return cfg;
    }

    /**
     * The rlimits the {@code prlimit} of {@link #command} sets, for a zygote child, where the
     * process count is per sandbox also when sandboxes share a uid (see {@code zygote.py}).
     */
    private Map<String, Long> zygoteRlimits() {
        var r = new LinkedHashMap<String, Long>();
        r.put("fsize", limits.fileSizeBytes());
        r.put("nofile", (long) limits.openFiles());
        r.put("core", 0L);
        r.put("nproc", (long) limits.maxProcesses());
        if (!sandboxLimits.perSandbox()) {
            r.put("as", SandboxLimits.RlimitsOnly.addressSpace(limits));
        }
        return r;
    }

    private synchronized int allocateSlot() {
        int free = slotsInUse.nextClearBit(0);
        if (free >= ids.slots()) {
            throw LivepostException.unavailable("too many sandboxes are running");
        }
        slotsInUse.set(free);
        return free;
    }

    /** Called once per started sandbox when it is gone. */
    private synchronized void release(int slot) {
        live.decrementAndGet();
        slotsInUse.clear(slot);
    }

    /**
     * With a cgroup per sandbox, what each really uses is known and admission counts that (see
     * {@code Sessions}); the cap is then only the number of uids. Without one, as many sandboxes as
     * fit in the machine's memory at their limit (at least 4), so sessions opened in a loop cannot
     * exhaust it.
     */
    private static int maxSandboxes(Limits limits, boolean measured, int slots) {
        if (measured) {
            return slots;
        }
        long total =
                ((com.sun.management.OperatingSystemMXBean)
                                ManagementFactory.getOperatingSystemMXBean())
                        .getTotalMemorySize();
        return (int) Math.max(4, Math.min(slots, total / limits.memoryBytes()));
    }

    String instance() {
        return instance;
    }
}
