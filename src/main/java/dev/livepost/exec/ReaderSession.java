package dev.livepost.exec;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One reader session of {@link Sessions}: its executor session, its setup chain, its files and the
 * run that holds its slot. Thread-safe through its atomic and volatile fields.
 */
final class ReaderSession {
    final String token;
    final SessionSpec spec;
    final ExecutorSession backend;
    final List<String> setupChain;
    final Duration timeout;
    final Path filesDir;
    final Map<String, StoredFile> files = new ConcurrentHashMap<>();
    private final AtomicReference<Run> slot = new AtomicReference<>();
    volatile Instant lastUsed;

    /**
     * Whether the setup chain must run before the next code: at first, and after state was lost.
     */
    volatile boolean setupDue;

    ReaderSession(
            String token,
            SessionSpec spec,
            ExecutorSession backend,
            List<String> setupChain,
            Duration timeout,
            Path filesDir,
            Instant now) {
        this.token = token;
        this.spec = spec;
        this.backend = backend;
        this.setupChain = List.copyOf(setupChain);
        this.timeout = timeout;
        this.filesDir = filesDir;
        this.lastUsed = now;
        this.setupDue = !this.setupChain.isEmpty();
    }

    /** Takes the run slot for {@code run}; false when another run holds it. */
    boolean claim(Run run) {
        return slot.compareAndSet(null, run);
    }

    /** Gives the slot back if {@code run} holds it. */
    void release(Run run) {
        slot.compareAndSet(run, null);
    }

    /** The run holding the slot, or null. */
    Run current() {
        return slot.get();
    }

    /** The session's state is gone: its setup chain runs again before the next code. */
    void stateLost() {
        setupDue = !setupChain.isEmpty();
    }

    Instant expiresAt(Duration idle) {
        return lastUsed.plus(idle);
    }
}
