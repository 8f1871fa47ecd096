package dev.livepost.exec;

import dev.livepost.Config;
import dev.livepost.DaemonThreads;
import dev.livepost.Folders;
import dev.livepost.Limits;
import dev.livepost.LivepostException;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reader sessions of one server: unguessable tokens, idle expiry, one run at a time, the order
 * of a run's events ({@code run} first, {@code done} or {@code error} last), output limits and the
 * files runs produce. What is specific to where code runs is behind {@link Executor}. Thread-safe.
 */
public final class Sessions implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Sessions.class);

    /**
     * Standard input one run may receive. Well below a pipe's 64 KiB, so handing it to the local
     * kernel never blocks even when the code reads none of it.
     */
    public static final int STDIN_BYTES_PER_RUN = 16 * 1024;

    private final Executor executor;
    private final Settings settings;
    private final Path filesRoot;
    private final Clock clock;
    private final MeterRegistry metrics;
    private final RandomIds ids = new RandomIds();
    private final SessionRuns runs;
    private final Admission admission;
    private final Map<String, ReaderSession> byToken = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper;

    /** How long interrupted runs get to end before their sandboxes go, when the server stops. */
    public static final Duration STOP_INTERRUPT_WAIT = Duration.ofSeconds(2);

    private volatile boolean closed;

    /**
     * @param idle how long an unused session lives
     * @param maxTimeout upper bound of a run's wall time
     * @param outputBytes stdout + stderr bytes of one run before it is stopped
     * @param codeBytes largest accepted code or prompt
     * @param maxFileBytes largest file kept
     * @param sessionDiskBytes the files of one session on the server's disk
     * @param sessionsPerClient sessions holding a sandbox that one client may have
     * @param admissionWait how long a new reader waits for a busy sandbox when the server is full
     */
    public record Settings(
            Duration idle,
            Duration maxTimeout,
            long outputBytes,
            int codeBytes,
            long maxFileBytes,
            long sessionDiskBytes,
            int sessionsPerClient,
            Duration admissionWait) {

        /** The settings a server's configuration asks for. */
        public static Settings of(Config config) {
            Limits limits = config.limits();
            return new Settings(
                    config.sessionIdle(),
                    limits.runTimeout(),
                    limits.outputBytes(),
                    limits.codeBytes(),
                    limits.maxFileBytes(),
                    // As much as the sandbox's working folder holds.
                    limits.workDiskBytes(),
                    limits.sessionsPerClient(),
                    LINE_WAIT);
        }
    }

    /**
     * How long a reader waits for a sandbox before being told to come back ({@code 503
     * executor_busy} with {@code Retry-After}): in line for a busy one, or for an executor's turn
     * to start a new one.
     */
    public static final Duration LINE_WAIT = Duration.ofSeconds(5);

    /** What the reader gets back from {@link #create}. */
    public record Created(String session, Instant expiresAt) {}

    public Sessions(
            Executor executor,
            Settings settings,
            Path dataDir,
            Clock clock,
            MeterRegistry metrics) {
        this.executor = executor;
        this.settings = settings;
        this.filesRoot = dataDir.resolve("sessions");
        this.clock = clock;
        this.metrics = metrics;

        Folders.deleteRecursively(
                filesRoot); // files of sessions from a previous run of the server are unreachable
        this.admission =
                new Admission(
                        executor,
                        byToken.values(),
                        settings.sessionsPerClient(),
                        settings.admissionWait(),
                        metrics);
        this.runs = new SessionRuns(executor, admission, settings, ids, clock, metrics);
        metrics.gauge("livepost_sessions_active", byToken, Map::size);
        metrics.gauge(
                "livepost_sessions_running",
                byToken,
                m -> m.values().stream().filter(s -> s.current() != null).count());
        metrics.gauge(
                "livepost_sessions_idle",
                byToken,
                m -> m.values().stream().filter(s -> s.current() == null).count());
        metrics.gauge(
                "livepost_sessions_evicted",
                byToken,
                m -> m.values().stream().filter(s -> s.backend() == null).count());
        metrics.gauge("livepost_sandboxes", executor, e -> e.capacity().sandboxes());
        metrics.gauge("livepost_sandboxes_frozen", executor, e -> e.capacity().frozen());
        metrics.gauge("livepost_sandboxes_memory_bytes", executor, e -> e.capacity().usedBytes());
        executor.bindMetrics(metrics);
        this.sweeper =
                Executors.newSingleThreadScheduledExecutor(
                        DaemonThreads.named("livepost-session-expiry"));
        long every = Math.max(1, Math.min(30, settings.idle().toSeconds() / 4));
        sweeper.scheduleWithFixedDelay(this::expireIdle, every, every, TimeUnit.SECONDS);
    }

    public Executor executor() {
        return executor;
    }

    /**
     * Opens a session for one artifact.
     *
     * @param setupChain code of the artifact's {@code setup=} chain in the order it runs (the
     *     deepest first), run before the first run and again whenever state was lost
     * @param timeout the artifact's own time limit, or null for the server's; never more than the
     *     server's
     * @param client the reader's address, for the per-client cap
     * @throws LivepostException 429 when the client's sessions are all busy, 503 when the whole
     *     server is (see {@link Admission})
     */
    public Created create(
            SessionSpec spec, List<String> setupChain, Duration timeout, String client) {
        if (closed) {
            throw LivepostException.unavailable("The server is shutting down.");
        }
        var health = executor.health();
        if (!health.available()) {
            throw LivepostException.unavailable(health.detail());
        }
        if (spec.prompt() && !executor.supportsPrompts()) {
            throw new LivepostException(
                    503,
                    "prompt_mode_unavailable",
                    "This artifact asks Claude to write and run the code, which needs the anthropic executor;"
                            + " this server runs the "
                            + executor.name()
                            + " executor.");
        }
        // Null when every sandbox is busy: the first run then waits in line for one.
        ExecutorSession backend = admission.openNow(spec, client);
        String token = ids.token();
        String dirName = ids.hex(12);
        Duration effective =
                timeout == null || timeout.compareTo(settings.maxTimeout()) > 0
                        ? settings.maxTimeout()
                        : timeout;
        var session =
                new ReaderSession(
                        token,
                        spec,
                        client,
                        backend,
                        setupChain,
                        effective,
                        filesRoot.resolve(dirName),
                        clock.instant());
        byToken.put(token, session);
        metrics.counter("livepost_sessions_created_total", "executor", executor.name()).increment();
        return new Created(token, session.expiresAt(settings.idle()));
    }

    /** The session's spec, for choosing how to read a run request (code or prompt). */
    public SessionSpec spec(String token) {
        return require(token).spec;
    }

    /**
     * Checks a run request and takes the session's run slot for it. Nothing is sent yet, so a
     * failure here can still be a plain JSON error; the caller then {@linkplain Run#stream streams}
     * the run, or {@linkplain Run#close closes} it to give the slot back.
     *
     * @throws LivepostException 404 unknown session, 413 too large, 409 a run in progress, 503
     *     shutting down
     */
    public Run start(String token, String source) {
        return start(token, source, false);
    }

    /**
     * {@link #start(String, String)}, with {@code code} true for code to run in a conversation
     * session (see {@link RunRequest#code}).
     */
    public Run start(String token, String source, boolean code) {
        if (closed) {
            throw LivepostException.unavailable("The server is shutting down.");
        }
        ReaderSession s = require(token);
        if (source.getBytes(StandardCharsets.UTF_8).length > settings.codeBytes()) {
            throw new LivepostException(
                    413,
                    "code_too_large",
                    "The code is larger than " + settings.codeBytes() + " bytes.");
        }
        var run = new Run(s, ids.hex(8), source, code, runs, admission::roomMayHaveFreed);
        if (!s.claim(run)) {
            throw LivepostException.conflict(
                    "run_in_progress",
                    "A run is already in progress in this session; stop it or wait for it to end.");
        }
        s.lastUsed = clock.instant();
        if (s.backend() == null) {
            // Evicted while idle, or admitted when the server was full: it needs a sandbox, like a
            // new session. If there is none now, the run waits in line for one as it streams.
            try {
                ExecutorSession now = admission.openNow(s.spec, s.client);
                if (now != null) {
                    s.reopen(now);
                }
            } catch (RuntimeException e) {
                run.close();
                throw e;
            }
        }
        return run;
    }

    /** The run in progress in the session, if any: e.g. to wait for its end. */
    public Optional<Run> current(String token) {
        return Optional.ofNullable(require(token).current());
    }

    /** Stops the session's current run, if any; the session is kept. */
    public void interrupt(String token) {
        ReaderSession s = require(token);
        s.lastUsed = clock.instant();
        Run run = s.current();
        if (run != null) {
            run.interrupt();
        }
    }

    /**
     * Sends standard input to the session's current run: {@code text} (may be empty), then the end
     * of input when {@code eof}. Never blocks on the code.
     *
     * @throws LivepostException 404 unknown session
     */
    public StdinOutcome stdin(String token, String text, boolean eof) {
        ReaderSession s = require(token);
        s.lastUsed = clock.instant();
        if (s.spec.prompt()) {
            return StdinOutcome.UNSUPPORTED;
        }
        Run run = s.current();
        ExecutorSession backend = s.backend();
        if (run == null || backend == null) {
            return StdinOutcome.NO_RUN;
        }
        if (!run.chargeStdin(text.getBytes(StandardCharsets.UTF_8).length, STDIN_BYTES_PER_RUN)) {
            return StdinOutcome.OVER_LIMIT;
        }
        return backend.stdin(text, eof) ? StdinOutcome.SENT : StdinOutcome.UNSUPPORTED;
    }

    /** Discards a session, its sandbox and its files. */
    public void delete(String token) {
        ReaderSession s = byToken.remove(require(token).token);
        if (s != null) {
            discard(s);
        }
    }

    /** A file of the session, or 404. */
    public StoredFile file(String token, String fileId) {
        return require(token)
                .file(fileId)
                .orElseThrow(
                        () ->
                                LivepostException.notFound(
                                        "file_not_found", "No such file in this session."));
    }

    public int size() {
        return byToken.size();
    }

    private ReaderSession require(String token) {
        ReaderSession s = token == null ? null : byToken.get(token);
        if (s == null) {
            throw LivepostException.notFound(
                    "session_not_found",
                    "This session does not exist or has expired; start a new one.");
        }
        return s;
    }

    private void expireIdle() {
        Instant now = clock.instant();
        byToken.values()
                .removeIf(
                        s -> {
                            boolean expired = s.idle() && now.isAfter(s.expiresAt(settings.idle()));
                            if (expired) {
                                log.info(
                                        "session for {} expired after {} idle",
                                        s.spec.artifact(),
                                        settings.idle());
                                discard(s);
                            }
                            return expired;
                        });
    }

    private void discard(ReaderSession s) {
        try {
            ExecutorSession backend = s.backend();
            if (backend != null) {
                backend.close();
            }
        } catch (RuntimeException e) {
            log.warn("closing a session's sandbox failed", e);
        }
        s.discardFiles();
        admission.roomMayHaveFreed();
    }

    /**
     * Stops gracefully: new sessions and runs are refused at once (503), runs in progress get up to
     * {@code grace} to end by themselves, then the rest are interrupted, each stream ending with
     * the {@code error} {@code server_stopping}; then as {@link #close}. Blocks for at most {@code
     * grace} plus {@link #STOP_INTERRUPT_WAIT} plus {@code close}'s own wait.
     */
    public void stop(Duration grace) {
        closed = true;
        var running =
                byToken.values().stream()
                        .map(ReaderSession::current)
                        .filter(Objects::nonNull)
                        .toList();
        if (!running.isEmpty()) {
            log.info(
                    "stopping: {} runs in progress get up to {} ms to end",
                    running.size(),
                    grace.toMillis());
        }
        if (!awaitEnd(running, grace)) {
            var left = running.stream().filter(r -> !r.completion().isDone()).toList();
            log.info("stopping: interrupting {} runs still in progress", left.size());
            left.forEach(Run::stopForShutdown);
            awaitEnd(left, STOP_INTERRUPT_WAIT);
        }
        close();
    }

    /** Whether every run in {@code runs} ended within {@code wait}. */
    private static boolean awaitEnd(List<Run> runs, Duration wait) {
        try {
            CompletableFuture.allOf(
                            runs.stream().map(Run::completion).toArray(CompletableFuture[]::new))
                    .get(wait.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("a run's completion never fails", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Discards every session and waits (a few seconds at most) until their runs have sent their
     * last event and closed their streams, so a web server stopped afterwards has none left open.
     */
    @Override
    public void close() {
        closed = true;
        sweeper.shutdownNow();
        var all = new ArrayList<>(byToken.values());
        byToken.clear();
        var ending =
                all.stream()
                        .map(ReaderSession::current)
                        .filter(Objects::nonNull)
                        .map(Run::completion)
                        .toArray(CompletableFuture[]::new);
        all.forEach(this::discard); // a run whose sandbox goes ends at once
        try {
            CompletableFuture.allOf(ending).get(5, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            log.warn("{} runs had not ended 5 s after their sessions were closed", ending.length);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a run's completion never fails", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
