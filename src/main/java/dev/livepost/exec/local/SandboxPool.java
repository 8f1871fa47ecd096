package dev.livepost.exec.local;

import dev.livepost.DaemonThreads;
import dev.livepost.exec.Sessions;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sandboxes started ahead of time, libraries already imported, so a new session's first run does
 * not wait for an interpreter. Refilled in the background by one thread per core, so that a stream
 * of new readers finds it refilled as fast as the machine can start sandboxes. Thread-safe.
 */
final class SandboxPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SandboxPool.class);

    /** How long a reader's new sandbox waits for its turn to start: as long as in line for one. */
    static final Duration TURN_WAIT = Sessions.LINE_WAIT;

    private final SandboxLauncher launcher;
    private final String language;
    private final long memoryBytes;
    private final int size;
    private final Duration startTimeout;
    private final LinkedBlockingQueue<Sandbox> ready = new LinkedBlockingQueue<>();
    private final AtomicInteger starting = new AtomicInteger();
    private final ExecutorService refill;
    private volatile boolean closed;

    SandboxPool(SandboxLauncher launcher, int size, Duration startTimeout) {
        this(launcher, size, startTimeout, "python", 0);
    }

    /**
     * A pool of sandboxes whose runs are in {@code language}, prepared for it as they start.
     *
     * @param memoryBytes the sandbox's memory limit, which sizes the language's own heap
     */
    SandboxPool(
            SandboxLauncher launcher,
            int size,
            Duration startTimeout,
            String language,
            long memoryBytes) {
        this.launcher = launcher;
        this.language = language;
        this.memoryBytes = memoryBytes;
        this.size = Math.max(0, size);
        this.startTimeout = startTimeout;
        int threads = Math.max(1, Math.min(this.size, Runtime.getRuntime().availableProcessors()));
        this.refill =
                Executors.newFixedThreadPool(threads, DaemonThreads.named("livepost-sandbox-pool"));
    }

    /**
     * Adds a started sandbox. A Python one is frozen while it waits, as an idle session's is (its
     * kernel's threads wake up to ten times a second, which a deep pool would pay for); the
     * session's first run thaws it. Another language's is not: its kernel is still preparing.
     */
    void offer(Sandbox sandbox) {
        if (closed || ready.size() >= size) {
            sandbox.kill();
        } else {
            if (language.equals("python")) {
                sandbox.freeze();
            }
            ready.add(sandbox);
        }
    }

    /**
     * A ready sandbox: from the pool if one is waiting, else a new one, started when its turn comes
     * (see {@link SandboxLauncher#start(Duration, Duration)}).
     *
     * @throws dev.livepost.LivepostException {@code 503 executor_busy} when no turn came within
     *     {@link #TURN_WAIT}
     */
    Sandbox take() {
        Sandbox s;
        while ((s = ready.poll()) != null) {
            if (s.alive()) {
                fill();
                return s;
            }
            s.kill();
        }
        fill();
        return start(TURN_WAIT);
    }

    private Sandbox start(Duration turnWithin) {
        Sandbox s = launcher.start(turnWithin, startTimeout);
        if (!language.equals("python")) {
            s.prepare(language, memoryBytes);
        }
        return s;
    }

    String language() {
        return language;
    }

    /** Starts sandboxes in the background until the pool is full. */
    void fill() {
        while (!closed && ready.size() + starting.get() < size) {
            starting.incrementAndGet();
            refill.execute(
                    () -> {
                        try {
                            if (!closed) {
                                offer(start(startTimeout));
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
     * costs before it ran anything.
     */
    long averageMemoryBytes() {
        long bytes = 0;
        int measured = 0;
        for (Sandbox s : ready) {
            long used = s.memoryBytes();
            if (used > 0) {
                bytes += used;
                measured++;
            }
        }
        return measured == 0 ? -1 : bytes / measured;
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
