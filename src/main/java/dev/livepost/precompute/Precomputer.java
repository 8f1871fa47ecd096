package dev.livepost.precompute;

import dev.livepost.DaemonThreads;
import dev.livepost.LivepostException;
import dev.livepost.blog.Artifact;
import dev.livepost.blog.Blog;
import dev.livepost.blog.Post;
import dev.livepost.exec.Sessions;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every shown code artifact's precomputed output up to date: at startup in the background
 * (progress in the log), and whenever a post changes (the blog is looked at every {@code
 * watchEvery}), each artifact whose {@link OutputKey} has no stored output runs once, at most
 * {@code concurrency} at a time so readers keep the rest of the machine. When nothing is left to
 * run, entries no artifact needs any more are deleted. {@link #runAll} does the same once and
 * blocks, for the static copy of the blog.
 *
 * <p>Thread-safe. {@link #output} never blocks on a run.
 */
public final class Precomputer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Precomputer.class);

    /** How long a failure to run at all (no sandbox, no API key) is shown before a retry. */
    private static final Duration FAILED_RETRY = Duration.ofMinutes(5);

    /** How often {@link #runAll} retries an artifact while the server has no room for it. */
    private static final int BUSY_ATTEMPTS = 30;

    /**
     * @param concurrency precomputed runs at once
     * @param prompts whether prompt artifacts are precomputed too (they cost API calls)
     * @param watchEvery how often the background looks for changed posts
     */
    public record Settings(int concurrency, boolean prompts, Duration watchEvery) {
        public Settings {
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1");
            }
        }
    }

    /** One artifact's output after {@link #runAll}; {@code cached}: it did not run again. */
    public record Result(Artifact artifact, Precomputed output, boolean cached) {}

    /** What {@link #runAll} reports as it goes; called from its worker threads, one at a time. */
    public interface Progress {
        void started(int total, int cached);

        void finished(Result result, int done, int total);
    }

    private final Blog blog;
    private final OutputStore store;
    private final ArtifactRun runner;
    private final Supplier<String> runtimeSource;
    private final Settings settings;
    private final Clock clock;
    private final ExecutorService workers;
    private final ScheduledExecutorService watcher;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final Map<String, Failure> failures = new ConcurrentHashMap<>();
    private volatile String runtime;
    private volatile boolean closed;

    /** Guards {@link #quiet}; notified when a background pass found nothing left to do. */
    private final Object quietLock = new Object();

    private boolean quiet; // guarded by quietLock

    // Background bookkeeping, touched only by the watcher thread.
    private Set<String> lastRetained = Set.of();
    private int batchTotal;
    private final AtomicInteger batchDone = new AtomicInteger();

    /** A run that could not happen, shown until {@code retryAt}; {@code output} null if busy. */
    private record Failure(Precomputed output, Instant retryAt) {}

    /** An artifact to precompute, with what its key was made of. */
    private record Job(Artifact artifact, List<Artifact> chain, String key) {}

    /**
     * @param runtime says what runs the code (see {@link RuntimeId}); asked once, off the caller's
     *     thread when started in the background
     */
    public Precomputer(
            Blog blog,
            Sessions sessions,
            OutputStore store,
            Supplier<String> runtime,
            Settings settings,
            Clock clock) {
        this.blog = blog;
        this.store = store;
        this.runner = new ArtifactRun(sessions, store, clock);
        this.runtimeSource = runtime;
        this.settings = settings;
        this.clock = clock;
        this.workers =
                Executors.newFixedThreadPool(
                        settings.concurrency(), DaemonThreads.named("livepost-precompute-run"));
        this.watcher =
                Executors.newSingleThreadScheduledExecutor(
                        DaemonThreads.named("livepost-precompute"));
    }

    /** Whether {@code a} gets a precomputed output: shown, not {@code precompute=false}. */
    public boolean wanted(Artifact a) {
        return a.precompute() && !a.hidden() && (!a.prompt() || settings.prompts());
    }

    /**
     * The output to show under {@code a}'s code: the stored one for its current code, else why it
     * could not run; empty when there is none (yet).
     */
    public Optional<Precomputed> output(Artifact a) {
        String rt = runtime;
        if (rt == null || !wanted(a)) {
            return Optional.empty();
        }
        String key = OutputKey.of(a, blog.setupChain(a), rt);
        Optional<Precomputed> stored = store.get(key);
        if (stored.isPresent()) {
            return stored;
        }
        Failure f = failures.get(key);
        return f == null ? Optional.empty() : Optional.ofNullable(f.output());
    }

    /** The store's key of {@code a}'s output; empty while the runtime is not known yet. */
    public Optional<String> key(Artifact a) {
        String rt = runtime;
        return rt == null ? Optional.empty() : Optional.of(OutputKey.of(a, blog.setupChain(a), rt));
    }

    /** Starts precomputing in the background, then watching the posts for changes. */
    public void start() {
        watcher.scheduleWithFixedDelay(
                this::tick, 0, settings.watchEvery().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void tick() {
        try {
            if (runtime == null) {
                runtime = runtimeSource.get();
                log.info("precomputed outputs for runtime: {}", runtime);
            }
            Map<String, Job> wanted = jobs();
            setQuiet(false);
            var todo = new ArrayList<Job>();
            Instant now = clock.instant();
            for (Job j : wanted.values()) {
                Failure f = failures.get(j.key());
                if (!inFlight.contains(j.key())
                        && (f == null || now.isAfter(f.retryAt()))
                        && store.get(j.key()).isEmpty()) {
                    todo.add(j);
                }
            }
            if (!todo.isEmpty()) {
                if (inFlight.isEmpty()) {
                    batchTotal = 0;
                    batchDone.set(0);
                    log.info(
                            "precomputing {} of {} artifacts (the others are stored)",
                            todo.size(),
                            wanted.size());
                }
                batchTotal += todo.size();
                for (Job j : todo) {
                    inFlight.add(j.key());
                    workers.execute(() -> background(j));
                }
            } else if (inFlight.isEmpty() && !wanted.keySet().equals(lastRetained)) {
                int removed = store.retainOnly(wanted.keySet());
                failures.keySet().retainAll(wanted.keySet());
                lastRetained = Set.copyOf(wanted.keySet());
                if (removed > 0) {
                    log.info("deleted {} precomputed outputs no artifact needs any more", removed);
                }
            } else if (inFlight.isEmpty()) {
                setQuiet(true);
            }
        } catch (RuntimeException e) {
            log.warn("precompute pass failed", e);
        }
    }

    private void setQuiet(boolean q) {
        synchronized (quietLock) {
            quiet = q;
            if (q) {
                quietLock.notifyAll();
            }
        }
    }

    /**
     * Waits until the background has run everything the posts need and cleaned the store (as of the
     * posts it last looked at), e.g. for a test; false if that did not happen in time.
     */
    public boolean awaitQuiet(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (quietLock) {
            // A pass that began before the call may have missed a change made just before it.
            quiet = false;
            while (!quiet) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(quietLock, left);
            }
            return true;
        }
    }

    private void background(Job j) {
        try {
            if (closed) {
                return;
            }
            Precomputed out = runner.run(j.artifact(), j.chain(), j.key());
            if (Precomputed.FAILED.equals(out.status())) {
                failures.put(j.key(), new Failure(out, clock.instant().plus(FAILED_RETRY)));
            }
            log.info(
                    "precomputed {} ({}/{}): {}",
                    j.artifact().address(),
                    batchDone.incrementAndGet(),
                    batchTotal,
                    describe(out));
        } catch (LivepostException e) {
            if (e.retryAfterSeconds() > 0) {
                // The server is full of readers: they come first; try again later.
                failures.put(
                        j.key(),
                        new Failure(null, clock.instant().plusSeconds(e.retryAfterSeconds())));
            } else {
                failures.put(
                        j.key(),
                        new Failure(
                                failed(j, e.getMessage() + " (" + e.code() + ")"),
                                clock.instant().plus(FAILED_RETRY)));
                log.warn("cannot precompute {}: {}", j.artifact().address(), e.getMessage());
            }
        } catch (IOException | RuntimeException e) {
            failures.put(
                    j.key(),
                    new Failure(
                            failed(j, "The server could not keep the output: " + e),
                            clock.instant().plus(FAILED_RETRY)));
            log.warn("precomputing {} failed", j.artifact().address(), e);
        } finally {
            inFlight.remove(j.key());
        }
    }

    /**
     * Precomputes every shown artifact of every published post that has no stored output, {@code
     * concurrency} at a time, and blocks until all are done. Busy servers are waited for.
     *
     * @return one result per artifact, in post and artifact order
     */
    public List<Result> runAll(Progress progress) throws InterruptedException {
        if (runtime == null) {
            runtime = runtimeSource.get();
        }
        List<Job> jobs = new ArrayList<>(jobs().values());
        var results = new Result[jobs.size()];
        var futures = new ArrayList<Future<?>>();
        int cached = 0;
        for (int i = 0; i < jobs.size(); i++) {
            Optional<Precomputed> hit = store.get(jobs.get(i).key());
            if (hit.isPresent()) {
                results[i] = new Result(jobs.get(i).artifact(), hit.get(), true);
                cached++;
            }
        }
        int total = jobs.size();
        progress.started(total, cached);
        var done = new AtomicInteger(cached);
        for (int i = 0; i < jobs.size(); i++) {
            if (results[i] != null) {
                continue;
            }
            int index = i;
            Job j = jobs.get(i);
            futures.add(
                    workers.submit(
                            () -> {
                                Precomputed out = waitingForRoom(j);
                                results[index] = new Result(j.artifact(), out, false);
                                synchronized (progress) {
                                    progress.finished(
                                            results[index], done.incrementAndGet(), total);
                                }
                                return null;
                            }));
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("a precompute worker failed", e.getCause());
            }
        }
        return List.of(results);
    }

    private Precomputed waitingForRoom(Job j) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return runner.run(j.artifact(), j.chain(), j.key());
            } catch (LivepostException e) {
                if (e.retryAfterSeconds() <= 0 || attempt >= BUSY_ATTEMPTS) {
                    return failed(j, e.getMessage() + " (" + e.code() + ")");
                }
                Thread.sleep(Math.min(30, e.retryAfterSeconds()) * 1000);
            } catch (IOException e) {
                return failed(j, "The output could not be kept: " + e);
            }
        }
    }

    /** Every artifact to precompute, by key (an artifact and its copy share one). */
    private Map<String, Job> jobs() {
        String rt = runtime;
        var out = new LinkedHashMap<String, Job>();
        for (Post p : blog.posts()) {
            for (Artifact a : p.artifacts()) {
                if (wanted(a)) {
                    List<Artifact> chain = blog.setupChain(a);
                    String key = OutputKey.of(a, chain, rt);
                    out.putIfAbsent(key, new Job(a, chain, key));
                }
            }
        }
        return out;
    }

    private Precomputed failed(Job j, String message) {
        return new Precomputed(
                j.key(),
                j.artifact().address(),
                clock.instant(),
                Precomputed.FAILED,
                message,
                0,
                List.of());
    }

    /** {@code ok in 120 ms}, {@code timeout}, {@code failed: why}: for logs and progress. */
    public static String describe(Precomputed p) {
        if (Precomputed.FAILED.equals(p.status())) {
            return "failed: " + p.message();
        }
        return p.status() + " in " + p.durationMs() + " ms";
    }

    /** Stops watching and running; a run in progress ends with its session. */
    @Override
    public void close() {
        closed = true;
        watcher.shutdownNow();
        workers.shutdownNow();
    }
}
