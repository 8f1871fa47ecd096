package dev.livepost.exec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One reader session of {@link Sessions}: its executor session, its setup chain, its files and the
 * run that holds its slot. Thread-safe: its files under its lock, the rest atomic or volatile.
 */
final class ReaderSession {
    final String token;
    final SessionSpec spec;
    final ExecutorSession backend;
    final List<String> setupChain;
    final Duration timeout;
    private final Path filesDir;

    /** The files runs produced, oldest first, with the run each came from. Guarded by this. */
    private final Map<String, Kept> files = new LinkedHashMap<>();

    private long diskBytes; // guarded by this
    private boolean discarded; // guarded by this
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

    private record Kept(StoredFile file, String runId) {}

    /** The file with this id, if the session still has it. */
    synchronized Optional<StoredFile> file(String id) {
        return Optional.ofNullable(files.get(id)).map(Kept::file);
    }

    /**
     * Writes a file of run {@code runId} to the server's disk, within the session's quota: files of
     * earlier runs make room, oldest first. Empty when even that is not enough, or the session was
     * discarded (a run still writing must not leave files behind).
     */
    synchronized Optional<StoredFile> store(
            String runId, String id, String name, String mime, byte[] content, long quota)
            throws IOException {
        if (discarded) {
            return Optional.empty();
        }
        var older = files.values().iterator();
        while (diskBytes + content.length > quota && older.hasNext()) {
            Kept k = older.next();
            if (k.runId().equals(runId)) {
                break; // files are in run order: the rest are this run's
            }
            Files.deleteIfExists(k.file().path());
            diskBytes -= k.file().size();
            older.remove();
        }
        if (diskBytes + content.length > quota) {
            return Optional.empty();
        }
        Files.createDirectories(filesDir);
        Path path = filesDir.resolve(id);
        Files.write(path, content);
        var stored = new StoredFile(id, name, mime, content.length, path);
        files.put(id, new Kept(stored, runId));
        diskBytes += content.length;
        return Optional.of(stored);
    }

    /** Deletes every file; later {@link #store} calls keep nothing. Idempotent. */
    synchronized void discardFiles() {
        discarded = true;
        files.clear();
        diskBytes = 0;
        Sessions.deleteRecursively(filesDir);
    }

    Instant expiresAt(Duration idle) {
        return lastUsed.plus(idle);
    }
}
