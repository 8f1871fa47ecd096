package dev.livepost.exec.local;

import dev.livepost.Config;
import dev.livepost.DaemonThreads;
import dev.livepost.LivepostException;
import dev.livepost.exec.Capacity;
import dev.livepost.exec.Executor;
import dev.livepost.exec.ExecutorHealth;
import dev.livepost.exec.ExecutorSession;
import dev.livepost.exec.SessionSpec;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs Python in bubblewrap sandboxes on this machine, one sandbox per reader session, with a pool
 * of pre-started ones. At construction it starts one sandbox as a probe: if that fails (bubblewrap
 * missing, user namespaces not allowed) the executor is unavailable and says how to fix it; code
 * never runs unsandboxed. Thread-safe.
 */
public final class LocalExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(LocalExecutor.class);

    private static final Duration ZYGOTE_RESTART_INTERVAL = Duration.ofSeconds(30);

    /** Sandboxes kept ready per language other than Python, once that language is used. */
    private static final int OTHER_LANGUAGE_POOL = 2;

    /** Generous: two busy cores and a cold page cache make an import of pandas slow. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    /** Memory kept free for the server's own JVM and the page cache it leans on. */
    private static final long SERVER_MARGIN_BYTES = 256L << 20;

    /**
     * The least a session is counted at: a fork of the zygote is charged only for what it wrote
     * (about 8-20 MB after a plot and a DataFrame), one started by bubblewrap for a whole
     * interpreter (about 60 MB).
     */
    private static final long MIN_SANDBOX_BYTES = 8L << 20;

    /** How old the sessions' measured memory may be when a new session is admitted. */
    private static final Duration MEMORY_REFRESH = Duration.ofMillis(250);

    private static final int MEMORY_SAMPLE = 64;

    private final Config config;
    private final ExecutorHealth health;
    private final SandboxPool pool;
    private final ReaderActivity readers = new ReaderActivity();
    private final LanguagePools pools;
    private final SandboxLauncher launcher;
    private final Set<LocalSession> sessions = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private volatile MemoryView memory;
    private final AtomicLong lastZygoteRestart = new AtomicLong();
    private final AtomicLong zygoteRestarts = new AtomicLong();
    private volatile CompletableFuture<Boolean> zygoteRestart = new CompletableFuture<>();

    public LocalExecutor(Config config) {
        this(config, SandboxLauncher.BWRAP, config.zygote());
    }

    /** With another bubblewrap binary and no zygote: tests show how a broken one is reported. */
    LocalExecutor(Config config, Path bwrap) {
        this(config, bwrap, false);
    }

    private LocalExecutor(Config config, Path bwrap, boolean zygote) {
        this.config = config;
        // Unique per executor, also among several in one JVM; starts with the pid so a later server
        // can tell which cgroups were left by a server that is gone.
        String instance =
                ProcessHandle.current().pid()
                        + "x"
                        + Integer.toHexString(new SecureRandom().nextInt(1 << 24));
        String problem = missingTools(bwrap);
        SandboxPool created = null;
        SandboxLauncher made = null;
        ExecutorHealth h;
        if (problem != null) {
            h = ExecutorHealth.unavailable(problem);
        } else {
            SandboxLimits limits = SandboxLimits.detect(config.limits(), instance);
            if (!limits.perSandbox()) {
                log.warn(
                        "no writable cgroup (run the server as root, or give it a delegated cgroup:"
                                + " systemd's Delegate=yes, see ./livepost install-service): memory"
                                + " is limited per process by rlimits only");
            }
            SandboxIds ids = SandboxIds.detect();
            Path seccomp = Seccomp.write(config.data().resolve("sandbox"));
            var launcher =
                    new SandboxLauncher(
                            config.limits(), bwrap, limits, config.data(), seccomp, instance, ids);
            made = launcher;
            created = new SandboxPool(launcher, config.pool(), readers, START_TIMEOUT);
            if (zygote) {
                if (tryZygote(launcher, seccomp)) {
                    launcher.onZygoteDeath(dead -> zygoteDied(dead, seccomp));
                }
            } else {
                log.info("sandboxes are started by bubblewrap: LIVEPOST_ZYGOTE=false");
            }
            h = probe(launcher, created, limits, seccomp);
            if (!h.available()) {
                created.close();
                created = null;
            }
        }
        this.health = h;
        this.pool = created;
        this.launcher = made;
        this.pools =
                pool == null
                        ? null
                        : new LanguagePools(
                                pool,
                                launcher,
                                readers,
                                Math.min(config.pool().size(), OTHER_LANGUAGE_POOL),
                                START_TIMEOUT,
                                config.limits().memoryBytes());
        if (pool != null) {
            pool.fill();
        }
    }

    private static String missingTools(Path bwrap) {
        if (!Files.isExecutable(bwrap)) {
            return "local sandbox unavailable: bubblewrap is not installed; fix: apt-get install"
                    + " bubblewrap";
        }
        if (!Files.isExecutable(Path.of(SandboxLauncher.PYTHON))) {
            return "local sandbox unavailable: /usr/bin/python3 is missing; fix: apt-get install"
                    + " python3 python3-numpy python3-pandas python3-matplotlib";
        }
        for (String tool : new String[] {"/usr/bin/prlimit", "/usr/bin/setpriv"}) {
            if (!Files.isExecutable(Path.of(tool))) {
                return "local sandbox unavailable: "
                        + tool
                        + " is missing; fix: apt-get install"
                        + " util-linux";
            }
        }
        return null;
    }

    /**
     * Starts the zygote and runs {@code print(1)} in one of its children; on any failure the
     * launcher keeps bubblewrap, and one log line says why.
     */
    private static boolean tryZygote(SandboxLauncher launcher, Path seccomp) {
        Zygote zygote = null;
        try {
            byte[] filter = seccomp == null ? null : Files.readAllBytes(seccomp);
            zygote = Zygote.start(launcher.zygoteConfig(), filter, START_TIMEOUT);
            launcher.useZygote(zygote);
            Sandbox probe = launcher.start(START_TIMEOUT);
            try {
                var out = new StringBuilder();
                Sandbox.Ending ending =
                        probe.run("probe", "print(1)", stdoutInto(out), START_TIMEOUT);
                if (ending == null
                        || ending.kind() != Sandbox.Ending.Kind.OK
                        || !out.toString().equals("1\n")) {
                    throw LivepostException.unavailable(
                            "print(1) in a zygote sandbox gave "
                                    + (ending == null ? "no end" : ending.kind())
                                    + " and '"
                                    + out.toString().strip()
                                    + "'; "
                                    + probe.stderr());
                }
            } finally {
                probe.kill();
            }
            log.info("sandboxes are forked from a zygote (pid {})", zygote.pid());
            return true;
        } catch (java.io.IOException | RuntimeException e) {
            launcher.useZygote(null);
            if (zygote != null) {
                zygote.close();
            }
            log.warn(
                    "sandboxes are started by bubblewrap, not forked from a zygote: {} (user"
                            + " namespaces, mounts or seccomp refused, or an old kernel)",
                    e.getMessage());
            return false;
        }
    }

    /**
     * A zygote that died is replaced in the background; sandboxes are started by bubblewrap
     * meanwhile. One that keeps dying is not restarted more than once a {@link
     * #ZYGOTE_RESTART_INTERVAL}.
     */
    private void zygoteDied(Zygote dead, Path seccomp) {
        dead.close();
        long now = System.nanoTime();
        long last = lastZygoteRestart.get();
        if (closed
                || (last != 0 && now - last < ZYGOTE_RESTART_INTERVAL.toNanos())
                || !lastZygoteRestart.compareAndSet(last, now)) {
            return;
        }
        var restarted = new CompletableFuture<Boolean>();
        zygoteRestart = restarted;
        DaemonThreads.named("livepost-zygote-restart")
                .newThread(
                        () -> {
                            boolean up = !closed && tryZygote(launcher, seccomp);
                            if (up) {
                                zygoteRestarts.incrementAndGet();
                            }
                            restarted.complete(up);
                        })
                .start();
    }

    /** The latest restart of a dead zygote: completes with whether a new one is in use. */
    CompletableFuture<Boolean> zygoteRestart() {
        return zygoteRestart;
    }

    private static dev.livepost.exec.RunSink stdoutInto(StringBuilder out) {
        return new dev.livepost.exec.RunSink() {
            @Override
            public void emit(dev.livepost.exec.RunEvent event) {
                if (event instanceof dev.livepost.exec.RunEvent.Stdout s) {
                    synchronized (out) {
                        out.append(s.text());
                    }
                }
            }

            @Override
            public void file(String name, String mime, byte[] content) {}

            @Override
            public void fileTooLarge(String name, long size) {}
        };
    }

    /** The host pid of the zygote, or -1 when sandboxes are started by bubblewrap. */
    long zygotePid() {
        Zygote z = launcher == null ? null : launcher.zygote();
        return z == null ? -1 : z.pid();
    }

    private ExecutorHealth probe(
            SandboxLauncher launcher, SandboxPool pool, SandboxLimits limits, Path seccomp) {
        try {
            Sandbox first = launcher.start(START_TIMEOUT);
            pool.offer(first);
            String mode =
                    launcher.root() ? "root" : limits.delegated() ? "delegated" : "unprivileged";
            // What follows the launcher's name and uids, which health() puts in front as they
            // are now.
            return ExecutorHealth.ok(
                            "; limits: "
                                    + limits.describe()
                                    + "; seccomp: "
                                    + (seccomp != null ? "on" : "off")
                                    + "; pool: "
                                    + config.pool()
                                    + ", at most "
                                    + launcher.maxSandboxes()
                                    + " sandboxes")
                    .with(Map.of("sandboxMode", mode));
        } catch (LivepostException e) {
            return ExecutorHealth.unavailable(explain(e.getMessage()));
        }
    }

    /** One line: what failed, and the fix. */
    static String explain(String failure) {
        String fix;
        if (failure.contains("namespace")
                || failure.contains("proc")
                || failure.contains("Operation not permitted")) {
            fix =
                    "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1;"
                            + " on Ubuntu 23.10 and later an AppArmor profile for bwrap, or"
                            + " kernel.apparmor_restrict_unprivileged_userns=0: see the README), or"
                            + " in Docker run the container with --security-opt seccomp=unconfined"
                            + " --security-opt apparmor=unconfined --security-opt"
                            + " systempaths=unconfined (see compose.yaml)";
        } else if (failure.contains("No module named")) {
            fix = "apt-get install python3-numpy python3-pandas python3-matplotlib";
        } else {
            fix = "check that bubblewrap works: bwrap --unshare-all --ro-bind / / true";
        }
        return "local sandbox unavailable: " + failure + "; fix: " + fix;
    }

    @Override
    public String name() {
        return "local";
    }

    @Override
    public void bindMetrics(MeterRegistry registry) {
        if (launcher == null) {
            return;
        }
        for (String how : List.of("zygote", "bubblewrap")) {
            FunctionCounter.builder(
                            "livepost_sandbox_starts",
                            launcher,
                            l -> l.starts(how.equals("zygote")))
                    .tag("launcher", how)
                    .description("sandboxes started, by forks of the zygote or by bubblewrap")
                    .register(registry);
        }
        FunctionCounter.builder("livepost_zygote_restarts", zygoteRestarts, AtomicLong::get)
                .register(registry);
        Gauge.builder("livepost_zygote_up", launcher, l -> l.zygote() != null ? 1 : 0)
                .register(registry);
        Gauge.builder("livepost_sandbox_pool_ready", pool, SandboxPool::ready).register(registry);
        Gauge.builder("livepost_sandbox_pool_target", pool, SandboxPool::target)
                .description("sandboxes the pool holds when full (auto: as memory allows now)")
                .register(registry);
        Gauge.builder("livepost_sandbox_start_waiting", launcher, SandboxLauncher::waitingToStart)
                .description("new sandboxes waiting for their turn to start")
                .register(registry);
        FunctionCounter.builder(
                        "livepost_sandbox_start_turns_missed",
                        launcher,
                        SandboxLauncher::missedTurns)
                .description("readers told to come back: no turn to start a sandbox came in time")
                .register(registry);
    }

    @Override
    public ExecutorHealth health() {
        if (!health.available() || launcher == null) {
            return health;
        }
        // Which launcher starts sandboxes now: bubblewrap stands in while a dead zygote restarts.
        boolean zygote = launcher.zygote() != null;
        return ExecutorHealth.ok(
                        (zygote
                                        ? "zygote sandboxes (forked from a warm parent, namespaces"
                                                + " and mounts as bubblewrap's)"
                                        : "bubblewrap sandbox")
                                + ", in "
                                + health.facts().get("sandboxMode")
                                + " mode, as "
                                + launcher.ids().describe(zygote)
                                + health.detail())
                .with(
                        Map.of(
                                "sandboxUids",
                                launcher.ids().ownUidPerSandbox(zygote) ? "own" : "shared"))
                .with(health.facts());
    }

    /**
     * Counts the sandboxes of sessions by what their cgroups say they use; keeps one sandbox's
     * limit free for code that runs, plus a margin for the server itself. Reading a thousand
     * cgroups takes milliseconds, so admissions read them at most every {@link #MEMORY_REFRESH},
     * and then only {@link #MEMORY_SAMPLE} of them, spread over all: what admission needs is what
     * one more session is likely to use (their average) and what the machine has left. Sandboxes
     * started since are counted at that average. The pool's sandboxes count as memory given back: a
     * new session takes one of them before another is started, and an {@code auto} pool shrinks as
     * sessions need its memory.
     */
    @Override
    public Capacity capacity() {
        return pool == null ? Capacity.unbounded() : capacity(memory = measureMemory(0));
    }

    @Override
    public Capacity capacityForAdmission() {
        if (pool == null) {
            return Capacity.unbounded();
        }
        MemoryView v = memory;
        if (v == null || System.nanoTime() - v.measuredAt() > MEMORY_REFRESH.toNanos()) {
            v = memory = measureMemory(MEMORY_SAMPLE);
        }
        return capacity(v);
    }

    private Capacity capacity(MemoryView v) {
        int live = launcher.live();
        int pooled = pool.ready();
        // Sessions' sandboxes started since the measure, each counted at the sessions' average.
        int opened = Math.max(0, (live - pooled) - (v.live() - v.pooled()));
        long available =
                v.availableBytes() < 0
                        ? -1
                        : v.availableBytes() + v.pooledBytes() - opened * v.eachBytes();
        return new Capacity(
                live,
                pooled,
                launcher.maxSandboxes(),
                v.frozen(),
                v.usedBytes(),
                v.eachBytes(),
                available,
                config.limits().memoryBytes() + SERVER_MARGIN_BYTES,
                v.underPressure());
    }

    /**
     * @param sample sessions to read at most, or 0 for every one
     */
    private MemoryView measureMemory(int sample) {
        int live = launcher.live();
        int count = 0;
        int measured = 0;
        int frozen = 0;
        long bytes = 0;
        int every = sample <= 0 ? 1 : Math.max(1, sessions.size() / sample);
        for (LocalSession s : sessions) {
            frozen += s.frozen() ? 1 : 0;
            if (count++ % every != 0) {
                continue;
            }
            long used = s.memoryBytes();
            if (used > 0) {
                measured++;
                bytes += used;
            }
        }
        frozen += pool.frozen();
        int pooled = pool.ready();
        long pooledEach = pool.averageMemoryBytes();
        // Before any session ran (a burst at startup), the pool's sandboxes say what a new one
        // costs; where nothing can be measured (no cgroup), a sandbox counts at its limit.
        long fresh = measured == 0 ? pooledEach : -1;
        long each =
                measured > 0
                        ? Math.max(MIN_SANDBOX_BYTES, bytes / measured)
                        : fresh > 0
                                ? Math.max(MIN_SANDBOX_BYTES, fresh)
                                : config.limits().memoryBytes();
        return new MemoryView(
                System.nanoTime(),
                live,
                pooled,
                Math.max(0, pooledEach) * pooled,
                frozen,
                every == 1 || measured == 0 ? bytes : bytes / measured * count, // sampled
                each,
                MachineMemory.availableBytes(),
                MachineMemory.underPressure());
    }

    /** What the sessions' cgroups and the machine said at one moment. */
    private record MemoryView(
            long measuredAt,
            int live,
            int pooled,
            long pooledBytes,
            int frozen,
            long usedBytes,
            long eachBytes,
            long availableBytes,
            boolean underPressure) {}

    @Override
    public ExecutorSession open(SessionSpec spec) {
        if (pool == null) {
            throw LivepostException.unavailable(health.detail());
        }
        if (closed) {
            throw LivepostException.unavailable("The local executor was closed.");
        }
        SandboxPool of = pools.of(spec.language());
        var session = new LocalSession(of, config.limits(), of.take(), sessions::remove);
        sessions.add(session);
        return session;
    }

    @Override
    public void close() {
        closed = true;
        if (pool != null) {
            pool.close();
            pools.close();
        }
        sessions.forEach(LocalSession::close);
        if (launcher != null && launcher.zygote() != null) {
            launcher.zygote().close();
        }
    }
}
