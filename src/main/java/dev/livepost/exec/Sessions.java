package dev.livepost.exec;

import dev.livepost.LivepostException;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reader sessions of one server: unguessable tokens, idle expiry, one run at a time, the order
 * of a run's events ({@code run} first, {@code done} or {@code error} last), output limits and the
 * files runs produce. What is specific to where code runs is behind {@link Executor}. Thread-safe.
 */
public final class Sessions implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Sessions.class);

    private final Executor executor;
    private final Settings settings;
    private final Path filesRoot;
    private final Clock clock;
    private final MeterRegistry metrics;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> byToken = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper;
    private volatile boolean closed;

    /**
     * @param idle how long an unused session lives
     * @param maxTimeout upper bound of a run's wall time
     * @param outputBytes stdout + stderr bytes of one run before it is stopped
     * @param codeBytes largest accepted code or prompt
     * @param maxFileBytes largest file kept
     */
    public record Settings(
            Duration idle,
            Duration maxTimeout,
            long outputBytes,
            int codeBytes,
            long maxFileBytes) {}

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
        deleteRecursively(
                filesRoot); // files of sessions from a previous run of the server are unreachable
        metrics.gauge("livepost_sessions_active", byToken, Map::size);
        this.sweeper =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            var t = new Thread(r, "livepost-session-expiry");
                            t.setDaemon(true);
                            return t;
                        });
        long every = Math.max(1, Math.min(30, settings.idle().toSeconds() / 4));
        sweeper.scheduleWithFixedDelay(this::expireIdle, every, every, TimeUnit.SECONDS);
    }

    public Executor executor() {
        return executor;
    }

    /**
     * Opens a session for one artifact.
     *
     * @param setupCode code of the artifact's {@code setup=} block, run once before the first run
     * @param timeout the artifact's own time limit, or null for the server's
     */
    public Created create(SessionSpec spec, String setupCode, Duration timeout) {
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
        ExecutorSession backend = executor.open(spec);
        String token = newToken();
        String dirName = HexFormat.of().formatHex(randomBytes(12));
        Duration effective =
                timeout == null || timeout.compareTo(settings.maxTimeout()) > 0
                        ? settings.maxTimeout()
                        : timeout;
        var session =
                new Session(
                        token,
                        spec,
                        backend,
                        setupCode,
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
     * Runs {@code source} in the session, sending every event to {@code out} in order, and returns
     * when the last one was sent. Checks happen before anything is sent, so a failure here can
     * still be a plain JSON error.
     *
     * @throws LivepostException 404 unknown session, 413 too large, 409 a run in progress
     */
    public PreparedRun prepare(String token, String source) {
        if (closed) {
            throw LivepostException.unavailable("The server is shutting down.");
        }
        Session s = require(token);
        if (source.getBytes(StandardCharsets.UTF_8).length > settings.codeBytes()) {
            throw new LivepostException(
                    413,
                    "code_too_large",
                    "The code is larger than " + settings.codeBytes() + " bytes.");
        }
        if (!s.running.compareAndSet(false, true)) {
            throw LivepostException.conflict(
                    "run_in_progress",
                    "A run is already in progress in this session; stop it or wait for it to end.");
        }
        s.lastUsed = clock.instant();
        return new PreparedRun(s, source);
    }

    /** A run that passed its checks and holds the session's run slot until {@link #stream} ends. */
    public final class PreparedRun {
        private final Session session;
        private final String source;

        private PreparedRun(Session session, String source) {
            this.session = session;
            this.source = source;
        }

        /** Runs and streams; blocks until the last event was handed to {@code out}. */
        public void stream(Consumer<RunEvent> out) {
            runInSession(session, source, out);
        }

        /** Gives the slot back without running (the client went away before the stream began). */
        public void abandon() {
            session.running.set(false);
        }
    }

    private void runInSession(Session s, String source, Consumer<RunEvent> out) {
        String runId = HexFormat.of().formatHex(randomBytes(8));
        long start = System.nanoTime();
        RunEvent last;
        try {
            out.accept(new RunEvent.Run(runId, s.token, executor.name()));
            last = execute(s, runId, source, new LimitedSink(s, out), start);
        } catch (RuntimeException e) {
            log.warn("run {} failed outside the user's code", runId, e);
            last =
                    new RunEvent.Error(
                            "internal_error", "The run failed on the server: " + e.getMessage());
        } finally {
            metrics.timer("livepost_run_duration", "executor", executor.name())
                    .record(Duration.ofNanos(System.nanoTime() - start));
            s.lastUsed = clock.instant();
            s.running.set(false);
        }
        // The slot is free before the reader learns that the run ended, so a next run sent as
        // soon as `done` arrives is not refused with 409.
        out.accept(last);
    }

    /** Runs the setup block if due, then the code; returns the {@code done} or {@code error}. */
    private RunEvent execute(Session s, String runId, String source, LimitedSink sink, long start) {
        if (!executor.health().available()) {
            return new RunEvent.Error("executor_unavailable", executor.health().detail());
        }
        if (s.setupCode != null && !s.setupDone) {
            RunOutcome setup =
                    s.backend.run(
                            new RunRequest(runId + "-setup", s.setupCode, s.timeout), sink.setup());
            if (setup instanceof RunOutcome.Failed f) {
                return new RunEvent.Error(f.code(), f.message());
            }
            if (setup instanceof RunOutcome.Finished f && f.status() != RunStatus.OK) {
                sink.emit(
                        new RunEvent.Notice(
                                "The setup block of this artifact did not finish ("
                                        + f.status().wire()
                                        + ")."));
                return new RunEvent.Done(f.status(), f.exitCode(), millisSince(start));
            }
            s.setupDone = true;
        }
        RunOutcome outcome = s.backend.run(new RunRequest(runId, source, s.timeout), sink);
        if (outcome instanceof RunOutcome.Failed f) {
            metrics.counter("livepost_runs_total", "executor", executor.name(), "status", "failed")
                    .increment();
            return new RunEvent.Error(f.code(), f.message());
        }
        var f = (RunOutcome.Finished) outcome;
        if (f.status() == RunStatus.KILLED || f.status() == RunStatus.TIMEOUT) {
            s.setupDone = false; // a restarted sandbox needs its setup again
        }
        metrics.counter(
                        "livepost_runs_total",
                        "executor",
                        executor.name(),
                        "status",
                        f.status().wire())
                .increment();
        return new RunEvent.Done(f.status(), f.exitCode(), millisSince(start));
    }

    /** Stops the session's current run, if any; the session is kept. */
    public void interrupt(String token) {
        Session s = require(token);
        s.lastUsed = clock.instant();
        if (s.running.get()) {
            s.backend.interrupt();
        }
    }

    /** Discards a session, its sandbox and its files. */
    public void delete(String token) {
        Session s = byToken.remove(require(token).token);
        if (s != null) {
            discard(s);
        }
    }

    /** A file of the session, or 404. */
    public StoredFile file(String token, String fileId) {
        Session s = require(token);
        return Optional.ofNullable(s.files.get(fileId))
                .orElseThrow(
                        () ->
                                LivepostException.notFound(
                                        "file_not_found", "No such file in this session."));
    }

    public int size() {
        return byToken.size();
    }

    private Session require(String token) {
        Session s = token == null ? null : byToken.get(token);
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
                            boolean expired =
                                    !s.running.get() && now.isAfter(s.expiresAt(settings.idle()));
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

    private void discard(Session s) {
        try {
            s.backend.close();
        } catch (RuntimeException e) {
            log.warn("closing a session's sandbox failed", e);
        }
        deleteRecursively(s.filesDir);
    }

    /**
     * Discards every session and waits (a few seconds at most) until their runs have sent their
     * last event, so a web server stopped afterwards has no stream left open.
     */
    @Override
    public void close() {
        closed = true;
        sweeper.shutdownNow();
        var all = new ArrayList<>(byToken.values());
        byToken.clear();
        all.forEach(this::discard);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        boolean waited = false;
        while (all.stream().anyMatch(s -> s.running.get()) && System.nanoTime() < deadline) {
            waited = true;
            sleep(20);
        }
        if (waited) {
            sleep(200); // the web layer closes the stream just after the run's last event
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String newToken() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(24));
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static long millisSince(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder())
                    .forEach(
                            p -> {
                                try {
                                    Files.deleteIfExists(p);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            });
        } catch (IOException | UncheckedIOException e) {
            log.warn("could not delete {}", dir, e);
        }
    }

    /** One reader session. */
    private static final class Session {
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

        Session(
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

    /**
     * The sink handed to the executor: sanitizes rich values, stores files, and stops a run whose
     * output passes the limit (the reader is told with a {@code notice}).
     */
    private final class LimitedSink implements RunSink {
        private final Session session;
        private final Consumer<RunEvent> out;
        private final boolean quiet;
        private long outputBytes;
        private boolean truncated;

        LimitedSink(Session session, Consumer<RunEvent> out) {
            this(session, out, false);
        }

        private LimitedSink(Session session, Consumer<RunEvent> out, boolean quiet) {
            this.session = session;
            this.out = out;
            this.quiet = quiet;
        }

        /** The setup block's sink: only its errors and notices reach the reader. */
        LimitedSink setup() {
            return new LimitedSink(session, out, true);
        }

        @Override
        public synchronized void emit(RunEvent event) {
            if (quiet && !(event instanceof RunEvent.Stderr || event instanceof RunEvent.Notice)) {
                return;
            }
            // Java 17: no pattern matching for switch yet.
            if (event instanceof RunEvent.Stdout o) {
                text(event, o.text());
            } else if (event instanceof RunEvent.Stderr e) {
                text(event, e.text());
            } else if (event instanceof RunEvent.Display d) {
                out.accept(new RunEvent.Display(HtmlSanitizer.cleanBundle(d.mime())));
            } else {
                out.accept(event);
            }
        }

        private void text(RunEvent event, String text) {
            if (truncated) {
                return;
            }
            long room = settings.outputBytes() - outputBytes;
            outputBytes += text.length();
            if (text.length() <= room) {
                out.accept(event);
                return;
            }
            truncated = true;
            if (room > 0) {
                String head = text.substring(0, (int) room);
                out.accept(
                        event instanceof RunEvent.Stdout
                                ? new RunEvent.Stdout(head)
                                : new RunEvent.Stderr(head));
            }
            out.accept(
                    new RunEvent.Notice(
                            "Output passed the limit of "
                                    + settings.outputBytes()
                                    + " bytes; the run was stopped and the rest of its output dropped."));
            session.backend.interrupt();
        }

        @Override
        public void file(String name, String mime, byte[] content) {
            if (quiet) {
                return;
            }
            String safe = FileNames.sanitize(name);
            if (content.length > settings.maxFileBytes()) {
                emit(
                        new RunEvent.Notice(
                                "The file "
                                        + safe
                                        + " is larger than "
                                        + settings.maxFileBytes()
                                        + " bytes and was not kept."));
                return;
            }
            String type = mime == null || mime.isBlank() ? FileNames.mimeOf(safe) : mime;
            String id = HexFormat.of().formatHex(randomBytes(12));
            Path path = session.filesDir.resolve(id);
            try {
                Files.createDirectories(session.filesDir);
                Files.write(path, content);
            } catch (IOException e) {
                throw new UncheckedIOException("could not store " + safe, e);
            }
            var stored = new StoredFile(id, safe, type, content.length, path);
            session.files.put(id, stored);
            synchronized (this) {
                out.accept(
                        new RunEvent.File(
                                id,
                                safe,
                                type,
                                content.length,
                                "/api/sessions/" + session.token + "/files/" + id));
            }
        }
    }
}
