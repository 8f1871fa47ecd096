package dev.livepost.exec;

import dev.livepost.Folders;
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
    /** Holds the slot while a session is being evicted, so no run can start meanwhile. */
    private static final Object EVICTING = new Object();

    final String token;
    final SessionSpec spec;

    /** The client address that opened the session, for the per-client cap. */
    final String client;

    /** The executor's session, or null while evicted (the next run opens a new one). */
    private volatile ExecutorSession backend;

    /** Why state was lost while no run was there to tell the reader; said by the next run. */
    private volatile StateLoss untold;

    final List<String> setupChain;
    final Duration timeout;
    private final Path filesDir;

    /** The files runs produced, oldest first, with the run each came from. Guarded by this. */
    private final Map<String, Kept> files = new LinkedHashMap<>();

    private long diskBytes; // guarded by this
    private boolean discarded; // guarded by this
    private final AtomicReference<Object> slot = new AtomicReference<>();
    volatile Instant lastUsed;

    /**
     * Whether the setup chain must run before the next code: at first, and after state was lost.
     */
    volatile boolean setupDue;

    ReaderSession(
            String token,
            SessionSpec spec,
            String client,
            ExecutorSession backend,
            List<String> setupChain,
            Duration timeout,
            Path filesDir,
            Instant now) {
        this.token = token;
        this.spec = spec;
        this.client = client;
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
        return slot.get() instanceof Run r ? r : null;
    }

    /** Whether the slot is free: no run, and not being evicted. */
    boolean idle() {
        return slot.get() == null;
    }

    ExecutorSession backend() {
        return backend;
    }

    /** Gives an evicted session a new executor session; the caller holds its slot. */
    void reopen(ExecutorSession fresh) {
        backend = fresh;
    }

    /**
     * Closes the executor's session of an idle session to free its sandbox, and its files with it;
     * false if a run holds the slot. The next run opens a new one and says state was lost.
     */
    boolean evict() {
        if (!slot.compareAndSet(null, EVICTING)) {
            return false;
        }
        try {
            ExecutorSession b = backend;
            if (b == null) {
                return false;
            }
            backend = null;
            b.close();
            deleteFiles();
            untold = new StateLoss.Evicted();
            stateLost();
            return true;
        } finally {
            slot.compareAndSet(EVICTING, null);
        }
    }

    /** A loss the reader has not been told of yet, at most once. */
    StateLoss takeUntold() {
        StateLoss u = untold;
        untold = null;
        return u;
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
        deleteFiles();
    }

    private synchronized void deleteFiles() {
        files.clear();
        diskBytes = 0;
        Folders.deleteRecursively(filesDir);
    }

    Instant expiresAt(Duration idle) {
        return lastUsed.plus(idle);
    }
}
