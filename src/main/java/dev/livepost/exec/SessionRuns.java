package dev.livepost.exec;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run in a reader session as {@link Sessions} streams it: {@code run} first, the setup block
 * when due, the code's own events through {@link RunOutput}, {@code done} or {@code error} last,
 * and the run metrics. Thread-safe; runs of different sessions proceed in parallel.
 */
final class SessionRuns {
    private static final Logger log = LoggerFactory.getLogger(SessionRuns.class);

    private final Executor executor;
    private final Sessions.Settings settings;
    private final RandomIds ids;
    private final Clock clock;
    private final MeterRegistry metrics;

    SessionRuns(
            Executor executor,
            Sessions.Settings settings,
            RandomIds ids,
            Clock clock,
            MeterRegistry metrics) {
        this.executor = executor;
        this.settings = settings;
        this.ids = ids;
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * Runs {@code source} in {@code s}, whose run slot the caller holds, sending every event to
     * {@code out} in order; gives the slot back before the last event. Blocks until then.
     */
    void stream(ReaderSession s, String source, Consumer<RunEvent> out) {
        String runId = ids.hex(8);
        long start = System.nanoTime();
        RunEvent last;
        try {
            out.accept(new RunEvent.Run(runId, s.token, executor.name()));
            last = execute(s, runId, source, new RunOutput(s, settings, ids, out), start);
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
    private RunEvent execute(
            ReaderSession s, String runId, String source, RunOutput sink, long start) {
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

    private static long millisSince(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
    }
}
