package dev.livepost.exec;

import dev.livepost.LivepostException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who gets a sandbox: a new session (or an evicted one that runs again) is admitted by what the
 * executor's sessions really use ({@link Capacity}). When there is no room, idle sessions are
 * evicted, least recently used first; one client's sessions beyond its cap make room by evicting
 * that client's own oldest idle one. A reader is refused only when every session is busy: then it
 * waits in a bounded queue for a run to end, and past its wait gets {@code 503} with {@code
 * Retry-After}. Thread-safe: admissions are decided one at a time, and the sandboxes they admit are
 * then opened in parallel (counted meanwhile, so that the decisions stay right).
 */
final class Admission {
    private static final Logger log = LoggerFactory.getLogger(Admission.class);

    /** Readers waiting beyond this are refused at once: a queue that long does not drain soon. */
    static final int MAX_WAITING = 200;

    private final Executor executor;
    private final Collection<ReaderSession> sessions;
    private final int perClient;
    private final Duration queueWait;
    private final MeterRegistry metrics;
    private final Timer waits;
    private final AtomicInteger waiting = new AtomicInteger();
    private final Object lock = new Object();
    private int opening; // admitted, their sandboxes still being opened; guarded by lock

    /**
     * @param sessions the live sessions (a concurrent view), among which to evict
     * @param perClient sessions holding a sandbox that one client may have
     * @param queueWait how long a reader waits for a busy session to become idle
     */
    Admission(
            Executor executor,
            Collection<ReaderSession> sessions,
            int perClient,
            Duration queueWait,
            MeterRegistry metrics) {
        this.executor = executor;
        this.sessions = sessions;
        this.perClient = perClient;
        this.queueWait = queueWait;
        this.metrics = metrics;
        this.waits = metrics.timer("livepost_admission_wait");
        metrics.gauge("livepost_admission_waiting", waiting);
    }

    /**
     * Makes room for one more session of {@code client} and opens it. Blocks while it waits for
     * room, the queue wait at most.
     *
     * @throws LivepostException 429 when all of the client's sessions are busy, 503 when every
     *     session is busy and the wait ran out
     */
    ExecutorSession open(SessionSpec spec, String client) {
        synchronized (lock) {
            capClient(client);
            long start = System.nanoTime();
            long deadline = start + queueWait.toNanos();
            boolean queued = false;
            while (!executor.capacity().roomFor(opening + 1)) {
                if (evictOldest(s -> true, "memory")) {
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || (!queued && waiting.get() >= MAX_WAITING)) {
                    refuse("busy");
                }
                queued = true;
                waiting.incrementAndGet();
                try {
                    lock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    refuse("busy");
                } finally {
                    waiting.decrementAndGet();
                }
            }
            if (queued) {
                waits.record(Duration.ofNanos(System.nanoTime() - start));
            }
            opening++;
        }
        try {
            return executor.open(spec);
        } finally {
            synchronized (lock) {
                opening--;
                lock.notifyAll();
            }
        }
    }

    /** A run ended or a session was discarded: a waiting reader may find room now. */
    void roomMayHaveFreed() {
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    private void capClient(String client) {
        long held =
                sessions.stream()
                        .filter(s -> s.client.equals(client) && s.backend() != null)
                        .count();
        if (held < perClient) {
            return;
        }
        if (!evictOldest(s -> s.client.equals(client), "client_cap")) {
            metrics.counter("livepost_refusals_total", "reason", "client_cap").increment();
            throw LivepostException.retryLater(
                    429,
                    "too_many_sessions",
                    "This address already runs code in "
                            + held
                            + " sessions; wait until one of them finishes.",
                    queueWait.toSeconds());
        }
    }

    /** Evicts the idle session that ran least recently among {@code which}; false if none. */
    private boolean evictOldest(Predicate<ReaderSession> which, String reason) {
        var candidates =
                sessions.stream()
                        .filter(which)
                        .filter(s -> s.idle() && s.backend() != null)
                        .sorted(Comparator.comparing(s -> s.lastUsed))
                        .iterator();
        while (candidates.hasNext()) {
            ReaderSession s = candidates.next();
            if (s.evict()) {
                log.info("evicted an idle session of {} ({})", s.spec.artifact(), reason);
                metrics.counter("livepost_evictions_total", "reason", reason).increment();
                return true;
            }
        }
        return false;
    }

    private void refuse(String reason) {
        metrics.counter("livepost_refusals_total", "reason", reason).increment();
        throw LivepostException.retryLater(
                503,
                "executor_busy",
                "Every sandbox of this server is running code right now; try again in a few"
                        + " seconds.",
                queueWait.toSeconds());
    }
}
