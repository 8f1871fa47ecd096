package dev.livepost.exec.local;

import dev.livepost.Config;
import dev.livepost.DaemonThreads;
import dev.livepost.exec.Sessions;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sandboxes started ahead of time, libraries already imported, so a new session's first run does
 * not wait for an interpreter. Refilled in the background by one thread per core, so that a stream
 * of new readers finds it refilled as fast as the machine can start sandboxes; a refill gets CPU
 * only where running code leaves it. An {@code auto} pool holds as many as fit in a share of the
 * machine's available memory, and gives sandboxes back as sessions need that memory; it grows past
 * a few only while readers leave the machine quiet, since a sandbox's start also takes CPU the
 * zygote and the server spend at full weight. Thread-safe.
 */
final class SandboxPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SandboxPool.class);

    /** How long a reader's new sandbox waits for its turn to start: as long as in line for one. */
    static final Duration TURN_WAIT = Sessions.LINE_WAIT;

    /**
     * An {@code auto} pool holds at most this share (1/n) of the memory the machine has available
     * besides the pool: frozen pooled sandboxes cost memory only, and sessions keep the rest.
     */
    static final int AUTO_MEMORY_SHARE = 4;

    /**
     * What an {@code auto} pool refills to while readers are busy, and its size until a pooled
     * sandbox's memory has been measured.
     */
    static final int AUTO_FEW = 4;

    /** How long without readers before an {@code auto} pool refills past {@link #AUTO_FEW}. */
    static final Duration QUIET = Duration.ofMillis(250);

    /** How often an {@code auto} pool looks again at the machine's memory and its readers. */
    private static final Duration RESIZE_EVERY = QUIET;

    /** How long a measure of the pooled sandboxes' memory holds. */
    private static final Duration MEMORY_REFRESH = Duration.ofSeconds(1);

    /** Pooled sandboxes whose memory is read for the average, at most every second. */
    private static final int MEMORY_SAMPLE = 32;

    private final SandboxLauncher launcher;
    private final String language;
    private final long memoryBytes;
    private final Config.Pool sizing;
    private final ReaderActivity readers;
    private final Duration startTimeout;
    private final LinkedBlockingQueue<Sandbox> ready = new LinkedBlockingQueue<>();
    private final AtomicInteger starting = new AtomicInteger();
    private final ScheduledThreadPoolExecutor refill;
    private volatile long averageBytes = -1;
    private volatile long averagedAt;
    private volatile boolean closed;

    SandboxPool(
            SandboxLauncher launcher,
            Config.Pool sizing,
            ReaderActivity readers,
            Duration startTimeout) {
        this(launcher, sizing, readers, startTimeout, "python", 0);
    }

    /**
     * A pool of sandboxes whose runs are in {@code language}, prepared for it as they start.
     *
     * @param readers when readers last ran code, shared by every pool of the executor
     * @param memoryBytes the sandbox's memory limit, which sizes the language's own heap
     */
    SandboxPool(
            SandboxLauncher launcher,
            Config.Pool sizing,
            ReaderActivity readers,
            Duration startTimeout,
            String language,
            long memoryBytes) {
        this.launcher = launcher;
        this.language = language;
        this.memoryBytes = memoryBytes;
        this.sizing = sizing;
        this.readers = readers;
        this.startTimeout = startTimeout;
        int cores = Runtime.getRuntime().availableProcessors();
        int threads = Math.max(1, sizing.auto() ? cores : Math.min(sizing.size(), cores));
        this.refill =
                new ScheduledThreadPoolExecutor(
                        threads, DaemonThreads.named("livepost-sandbox-pool"));
        if (sizing.auto()) {
            long every = RESIZE_EVERY.toMillis();
            refill.scheduleWithFixedDelay(this::fill, every, every, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Adds a started sandbox, in the background until a session takes it. A Python one is frozen
     * while it waits, as an idle session's is: nothing in it runs until the session's first run
     * thaws it. Another language's is not: its kernel is still preparing.
     */
    void offer(Sandbox sandbox) {
        if (closed || ready.size() >= most(target())) {
            sandbox.kill();
        } else {
            sandbox.background(true);
            if (language.equals("python")) {
                sandbox.freeze();
            }
            ready.add(sandbox);
        }
    }

    /**
     * A ready sandbox, with its equal share of CPU: from the pool if one is waiting, else a new
     * one, started when its turn comes (see {@link SandboxLauncher#start(Duration, Duration)}).
     *
     * @throws dev.livepost.LivepostException {@code 503 executor_busy} when no turn came within
     *     {@link #TURN_WAIT}
     */
    Sandbox take() {
        readers.saw();
        Sandbox s;
        while ((s = ready.poll()) != null) {
            if (s.alive()) {
                s.background(false);
                fill();
                return s;
            }
            s.kill();
        }
        fill();
        return start(TURN_WAIT, false);
    }

    private Sandbox start(Duration turnWithin, boolean inBackground) {
        Sandbox s = launcher.start(turnWithin, startTimeout, inBackground);
        if (!language.equals("python")) {
            s.prepare(language, memoryBytes);
        }
        return s;
    }

    String language() {
        return language;
    }

    /** A reader runs code in a sandbox: an {@code auto} pool waits for the quiet to refill. */
    void readerRuns() {
        readers.saw();
    }

    /**
     * How many sandboxes the pool holds now: its size, or for an {@code auto} pool {@link
     * #autoSize} of what the machine has available, at most half the sandboxes that sessions leave.
     */
    int target() {
        if (!sizing.auto()) {
            return sizing.size();
        }
        int pooled = ready.size();
        int sessions = Math.max(0, launcher.live() - pooled - starting.get());
        int most = Math.min(sizing.size(), Math.max(0, launcher.maxSandboxes() - sessions) / 2);
        return autoSize(MachineMemory.availableBytes(), pooled, averageMemoryBytes(), most);
    }

    /**
     * As many sandboxes as fit in {@link #AUTO_MEMORY_SHARE its share} of the memory available
     * besides the pool, each counted at what pooled ones use, up to {@code most}; a few until that
     * is known.
     *
     * @param availableBytes what the machine has available now (the pool's sandboxes use part of
     *     the rest), or -1 where unknown
     * @param eachBytes what a pooled sandbox uses, or -1 where unknown
     */
    static int autoSize(long availableBytes, int pooled, long eachBytes, int most) {
        if (eachBytes <= 0 || availableBytes < 0) {
            return Math.min(most, AUTO_FEW);
        }
        long budget = (availableBytes + pooled * eachBytes) / AUTO_MEMORY_SHARE;
        return (int) Math.min(most, budget / eachBytes);
    }

    /**
     * What the pool may hold before it gives sandboxes back: its size, or an {@code auto} pool's
     * target and an eighth more, so that it does not start and kill sandboxes as memory moves a
     * little.
     */
    private int most(int target) {
        return sizing.auto() ? target + target / 8 : target;
    }

    /**
     * What the pool refills to now: its {@linkplain #target() target}, or for an {@code auto} pool
     * while readers are busy no more than {@link #AUTO_FEW}.
     */
    private int wanted(int target) {
        return sizing.auto() && !readers.quietFor(QUIET) ? Math.min(target, AUTO_FEW) : target;
    }

    /**
     * Starts sandboxes in the background until the pool holds what it {@linkplain #wanted wants}
     * now, or gives back those well beyond its target (the oldest first).
     */
    void fill() {
        if (closed) {
            return;
        }
        int target = target();
        if (ready.size() > most(target)) {
            refill.execute(this::shrink);
        }
        int wanted = wanted(target);
        while (!closed && ready.size() + starting.get() < wanted) {
            starting.incrementAndGet();
            refill.execute(
                    () -> {
                        try {
                            // Readers may have come back since: the refill waits for the quiet.
                            if (!closed && ready.size() < wanted(target())) {
                                offer(start(startTimeout, true));
                            }
                        } catch (RuntimeException e) {
                            if (!closed) {
                                log.warn("could not start a pooled sandbox: {}", e.getMessage());
                            }
                        } finally {
                            starting.decrementAndGet();
                        }
                    });
        }
    }

    private void shrink() {
        Sandbox s;
        while (!closed && ready.size() > target() && (s = ready.poll()) != null) {
            s.kill();
        }
    }

    int ready() {
        return ready.size();
    }

    /** Ready sandboxes that wait frozen. */
    int frozen() {
        int n = 0;
        for (Sandbox s : ready) {
            n += s.frozen() ? 1 : 0;
        }
        return n;
    }

    /**
     * What the ready sandboxes use on average, or -1 when none can be measured: what a new session
     * costs before it ran anything. Read from about {@link #MEMORY_SAMPLE} of them, at most every
     * {@link #MEMORY_REFRESH}.
     */
    long averageMemoryBytes() {
        long now = System.nanoTime();
        if (averageBytes > 0 && now - averagedAt < MEMORY_REFRESH.toNanos()) {
            return averageBytes;
        }
        long bytes = 0;
        int measured = 0;
        int every = Math.max(1, ready.size() / MEMORY_SAMPLE); // spread from oldest to newest
        int i = 0;
        for (Sandbox s : ready) {
            if (i++ % every != 0) {
                continue;
            }
            long used = s.memoryBytes();
            if (used > 0) {
                bytes += used;
                measured++;
            }
        }
        if (measured == 0) {
            return averageBytes;
        }
        // Smoothed: a sample of a few is noisy, and the pool's size follows it.
        long sampled = bytes / measured;
        averagedAt = now;
        averageBytes = averageBytes <= 0 ? sampled : (3 * averageBytes + sampled) / 4;
        return averageBytes;
    }

    @Override
    public void close() {
        closed = true;
        refill.shutdownNow();
        try {
            refill.awaitTermination(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Sandbox s;
        while ((s = ready.poll()) != null) {
            s.kill();
        }
    }
}
