package dev.livepost.exec;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One reader session of {@link Sessions}: its sandbox, its setup state, its files and whether a run
 * holds it. Thread-safe through its atomic and volatile fields; {@link #running} is the run slot.
 */
final class ReaderSession {
    final String token;
    final SessionSpec spec;
    final ExecutorSession backend;
    final String setupCode;
    final Duration timeout;
    final Path filesDir;
    final AtomicBoolean running = new AtomicBoolean();
    final Map<String, StoredFile> files = new ConcurrentHashMap<>();
    volatile Instant lastUsed;
    volatile boolean setupDone;

    ReaderSession(
            String token,
            SessionSpec spec,
            ExecutorSession backend,
            String setupCode,
            Duration timeout,
            Path filesDir,
            Instant now) {
        this.token = token;
        this.spec = spec;
        this.backend = backend;
        this.setupCode = setupCode;
        this.timeout = timeout;
        this.filesDir = filesDir;
        this.lastUsed = now;
    }

    Instant expiresAt(Duration idle) {
        return lastUsed.plus(idle);
    }
}
