package dev.livepost.exec;

import dev.livepost.LivepostException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who gets a sandbox: a new session (or an evicted one that runs again) is admitted by what the
 * executor's sessions really use ({@link Capacity}). When there is no room, idle sessions are
 * evicted, least recently used first; one client's sessions beyond its cap make room by evicting
 * that client's own oldest idle one. A reader is refused only when every session is busy: then its
 * run waits in line (first come, first served, told its place as it changes) for a run to end, and
 * past its wait ends with {@code executor_busy}; a line already full refuses at once with {@code
 * 503} and {@code Retry-After}. Thread-safe: admissions are decided one at a time, and the
 * sandboxes they admit are then opened in parallel (counted meanwhile, so that the decisions stay
 * right).
 */
final class Admission {
    private static final Logger log = LoggerFactory.getLogger(Admission.class);

    /** Readers waiting beyond this are refused at once: a line that long does not move soon. */
    static final int MAX_WAITING = 200;

    private final Executor executor;
    private final Collection<ReaderSession> sessions;
    private final int perClient;
    private final Duration queueWait;
    private final MeterRegistry metrics;
    private final Timer waits;
    private final Object lock = new Object();
    private final Deque<Object> line = new ArrayDeque<>(); // guarded by lock
    private int opening; // admitted, their sandboxes still being opened; guarded by lock

    /**
     * @param sessions the live sessions (a concurrent view), among which to evict
     * @param perClient sessions holding a sandbox that one client may have
     * @param queueWait how long a reader waits in line for a busy session to become idle
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
        metrics.gauge("livepost_admission_waiting", line, l -> waiting());
    }

    /**
     * Opens a sandbox for a session of {@code client} if there is room now (evicting idle sessions
     * as needed) and nobody is waiting in line before it; else null, and the session's run will
     * {@linkplain #openInLine wait in line}.
     *
     * @throws LivepostException 429 when all of the client's sessions are busy; 503 when the line
     *     is full
     */
    ExecutorSession openNow(SessionSpec spec, String client) {
        synchronized (lock) {
            capClient(client);
            if (!line.isEmpty() || !makeRoom()) {
                if (line.size() >= MAX_WAITING) {
                    refuse("queue_full");
                }
                return null;
            }
            opening++;
        }
        return openAdmitted(spec);
    }

    /**
     * Waits in line for room, then opens a sandbox. Blocks for the queue wait at most. {@code
     * place} hears the reader's place in line (1: next) whenever it changes, never under the lock.
     *
     * @throws LivepostException {@code executor_busy} when the wait ran out or {@code gaveUp} said
     *     so
     */
    ExecutorSession openInLine(SessionSpec spec, IntConsumer place, BooleanSupplier gaveUp) {
        Object me = new Object();
        long start = System.nanoTime();
        long deadline = start + queueWait.toNanos();
        int told = 0;
        synchronized (lock) {
            if (line.size() >= MAX_WAITING) {
                refuse("queue_full");
            }
            line.addLast(me);
        }
        try {
            while (true) {
                int now;
                synchronized (lock) {
                    if (line.peekFirst() == me && makeRoom()) {
                        line.removeFirst();
                        opening++;
                        lock.notifyAll(); // the next in line may fit too
                        break;
                    }
                    now = position(me);
                    if (now == told) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0 || gaveUp.getAsBoolean()) {
                            refuse("busy");
                        }
                        try {
                            lock.wait(Math.max(1, Math.min(left / 1_000_000, 250)));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            refuse("busy");
                        }
                        continue;
                    }
                }
                told = now;
                place.accept(now);
            }
        } finally {
            synchronized (lock) {
                if (line.remove(me)) {
                    lock.notifyAll();
                }
            }
        }
        waits.record(Duration.ofNanos(System.nanoTime() - start));
        return openAdmitted(spec);
    }

    private ExecutorSession openAdmitted(SessionSpec spec) {
        try {
            return executor.open(spec);
        } finally {
            synchronized (lock) {
                opening--;
                lock.notifyAll();
            }
        }
    }

    /** Readers waiting in line now. */
    int waiting() {
        synchronized (lock) {
            return line.size();
        }
    }

    private int position(Object waiter) {
        int i = 1;
        for (Object o : line) {
            if (o == waiter) {
                return i;
            }
            i++;
        }
        return i;
    }

    /** Evicts idle sessions until one more sandbox fits; false if that is not possible. */
    private boolean makeRoom() {
        while (!executor.capacity().roomFor(opening + 1)) {
            if (!evictOldest(s -> true, "memory")) {
                return false;
            }
        }
        return true;
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
