package dev.livepost.exec.local;

import dev.livepost.Config;
import dev.livepost.LivepostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pool of Python sandboxes, started with the executor, and one pool per other language, started
 * by the first session of that language: a blog without SQL artifacts pays nothing for SQL. Every
 * sandbox is the same Python kernel; one of another language runs its code through that language's
 * runner ({@code kernel/langs.py}). Thread-safe.
 */
final class LanguagePools implements AutoCloseable {
    /** The languages whose code the local executor runs, as the directive's {@code lang} names. */
    static final List<String> LANGUAGES = List.of("python", "javascript", "bash", "sql", "java");

    private final SandboxPool python;
    private final SandboxLauncher launcher;
    private final ReaderActivity readers;
    private final int size;
    private final Duration startTimeout;
    private final long memoryBytes;
    private final Map<String, SandboxPool> others = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param readers when readers last ran code, shared with the Python pool
     * @param size sandboxes kept ready per other language
     * @param memoryBytes one sandbox's memory limit, which sizes a language's own heap
     */
    LanguagePools(
            SandboxPool python,
            SandboxLauncher launcher,
            ReaderActivity readers,
            int size,
            Duration startTimeout,
            long memoryBytes) {
        this.python = python;
        this.launcher = launcher;
        this.readers = readers;
        this.size = size;
        this.startTimeout = startTimeout;
        this.memoryBytes = memoryBytes;
    }

    /** The pool of a language's sandboxes; the first call for a language starts its pool. */
    SandboxPool of(String language) {
        if (language == null || language.equals("python")) {
            return python;
        }
        if (!LANGUAGES.contains(language)) {
            throw LivepostException.badRequest(
                    "unsupported_language",
                    "The local executor runs "
                            + String.join(", ", LANGUAGES)
                            + ", not lang="
                            + language
                            + ".");
        }
        if (closed) {
            throw LivepostException.unavailable("The local executor was closed.");
        }
        return others.computeIfAbsent(
                language,
                l -> {
                    var pool =
                            new SandboxPool(
                                    launcher,
                                    Config.Pool.of(size),
                                    readers,
                                    startTimeout,
                                    l,
                                    memoryBytes);
                    pool.fill();
                    return pool;
                });
    }

    /** Closes the other languages' pools (the Python pool is its owner's). */
    @Override
    public void close() {
        closed = true;
        others.values().forEach(SandboxPool::close);
    }
}
