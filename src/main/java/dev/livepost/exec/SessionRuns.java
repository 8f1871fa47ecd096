package dev.livepost.exec;

import dev.livepost.LivepostException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy of a {@link Run}, in one place: {@code run} first; a wait in line for a sandbox when
 * every one was busy; the setup chain when due (at first, and whenever the executor reports that
 * state was lost, and only then); the code; the reader's notices for lost state and timeouts; the
 * last event and the run metrics. Thread-safe; runs of different sessions proceed in parallel.
 */
final class SessionRuns {
    private static final Logger log = LoggerFactory.getLogger(SessionRuns.class);

    /** A session whose state is lost again right after a fresh start is not retried further. */
    private static final int MAX_LOSSES = 2;

    private final Executor executor;
    private final Admission admission;
    private final Sessions.Settings settings;
    private final RandomIds ids;
    private final Clock clock;
    private final MeterRegistry metrics;

    SessionRuns(
            Executor executor,
            Admission admission,
            Sessions.Settings settings,
            RandomIds ids,
            Clock clock,
            MeterRegistry metrics) {
        this.executor = executor;
        this.admission = admission;
        this.settings = settings;
        this.ids = ids;
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * Sends {@code run} and every event of the run to {@code out}, and returns the last event
     * ({@code done} or {@code error}) without sending it. Blocks until the run has ended.
     */
    RunEvent execute(Run run, ReaderSession s, Consumer<RunEvent> out) {
        long start = System.nanoTime();
        Consumer<RunEvent> timed = timingFirstOutput(out, start);
        RunEvent last;
        try {
            timed.accept(new RunEvent.Run(run.id(), s.token, executor.name()));
            last = execute(run, s, new RunOutput(s, run.id(), settings, ids, timed), start);
        } catch (RuntimeException e) {
            log.warn("run {} failed outside the user's code", run.id(), e);
            last =
                    new RunEvent.Error(
                            "internal_error", "The run failed on the server: " + e.getMessage());
        }
        if (run.stoppedByServer()) {
            // However the code took its interrupt (or its sandbox's end), the reader learns why.
            last = new RunEvent.Error("server_stopping", Notices.serverStopping());
        }
        Timer.builder("livepost_run_duration")
                .tag("executor", executor.name())
                .publishPercentileHistogram()
                .register(metrics)
                .record(Duration.ofNanos(System.nanoTime() - start));
        metrics.counter("livepost_runs_total", "executor", executor.name(), "status", status(last))
                .increment();
        s.lastUsed = clock.instant();
        return last;
    }

    private RunEvent execute(Run run, ReaderSession s, RunOutput sink, long start) {
        if (!executor.health().available()) {
            return new RunEvent.Error("executor_unavailable", executor.health().detail());
        }
        if (s.backend() == null) {
            // Every sandbox was busy when the run came: it waits in line, telling its place.
            try {
                s.reopen(
                        admission.openInLine(
                                s.spec,
                                place -> sink.emit(new RunEvent.Queued(place)),
                                run::interrupted));
            } catch (LivepostException e) {
                if (run.interrupted()) {
                    return done(new RunOutcome.Finished(RunStatus.INTERRUPTED, 130), sink, start);
                }
                return new RunEvent.Error(e.code(), e.getMessage());
            }
        }
        StateLoss untold = s.takeUntold();
        if (untold != null) {
            sink.notice(Notices.stateLost(untold, s.timeout, s.setupDue));
        }
        int losses = 0;
        while (true) {
            RunOutcome outcome = s.setupDue ? setup(run, s, sink) : null;
            if (outcome == null) {
                if (run.interrupted()) {
                    return done(new RunOutcome.Finished(RunStatus.INTERRUPTED, 130), sink, start);
                }
                outcome =
                        s.backend()
                                .run(
                                        new RunRequest(
                                                run.id(), run.source(), s.timeout, run.code()),
                                        sink);
            } else if (outcome instanceof RunOutcome.Finished f && f.lost() == null) {
                sink.notice(Notices.setupDidNotFinish(f.status()));
            }
            if (outcome instanceof RunOutcome.Failed f) {
                return new RunEvent.Error(f.code(), f.message());
            }
            if (outcome instanceof RunOutcome.Lost l) {
                stateLost(s, l.why(), sink);
                if (++losses >= MAX_LOSSES) {
                    return new RunEvent.Error(
                            "state_lost",
                            "The session's sandbox was lost again right after a fresh start; try"
                                    + " again in a moment.");
                }
                continue; // nothing ran: run again from the fresh state
            }
            var f = (RunOutcome.Finished) outcome;
            if (f.lost() != null) {
                stateLost(s, f.lost(), sink);
            } else if (f.status() == RunStatus.TIMEOUT) {
                sink.notice(Notices.timedOut(s.timeout));
            }
            return done(f, sink, start);
        }
    }

    /**
     * Runs the setup chain with its output hidden; null when it all finished {@code ok}, else the
     * outcome that stopped it.
     */
    private RunOutcome setup(Run run, ReaderSession s, RunOutput sink) {
        RunOutput quiet = sink.setup();
        for (int i = 0; i < s.setupChain.size(); i++) {
            if (run.interrupted()) {
                return new RunOutcome.Finished(RunStatus.INTERRUPTED, 130);
            }
            RunOutcome o =
                    s.backend()
                            .run(
                                    new RunRequest(
                                            run.id() + "-setup-" + (i + 1),
                                            s.setupChain.get(i),
                                            s.timeout),
                                    quiet);
            if (!(o instanceof RunOutcome.Finished f && f.status() == RunStatus.OK)) {
                return o;
            }
        }
        s.setupDue = false;
        return null;
    }

    private void stateLost(ReaderSession s, StateLoss why, RunOutput sink) {
        s.stateLost();
        sink.notice(Notices.stateLost(why, s.timeout, s.setupDue));
    }

    /** Passes events on, and records when the first output of the code reached the reader. */
    private Consumer<RunEvent> timingFirstOutput(Consumer<RunEvent> out, long start) {
        Timer firstOutput =
                Timer.builder("livepost_run_first_output")
                        .description("from the run request to the code's first output")
                        .tag("executor", executor.name())
                        .publishPercentileHistogram()
                        .register(metrics);
        var seen = new java.util.concurrent.atomic.AtomicBoolean();
        return event -> {
            out.accept(event);
            if (isOutput(event) && !seen.getAndSet(true)) {
                firstOutput.record(Duration.ofNanos(System.nanoTime() - start));
            }
        };
    }

    private static boolean isOutput(RunEvent e) {
        return e instanceof RunEvent.Stdout
                || e instanceof RunEvent.Stderr
                || e instanceof RunEvent.Display
                || e instanceof RunEvent.File
                || e instanceof RunEvent.Text;
    }

    private static RunEvent done(RunOutcome.Finished f, RunOutput sink, long start) {
        return new RunEvent.Done(
                f.status(),
                f.exitCode(),
                Duration.ofNanos(System.nanoTime() - start).toMillis(),
                sink.usage());
    }

    private static String status(RunEvent last) {
        return last instanceof RunEvent.Done d ? d.status().wire() : "failed";
    }
}
