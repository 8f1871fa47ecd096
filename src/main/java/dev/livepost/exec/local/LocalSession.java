package dev.livepost.exec.local;

import dev.livepost.Limits;
import dev.livepost.LivepostException;
import dev.livepost.exec.ExecutorSession;
import dev.livepost.exec.RunOutcome;
import dev.livepost.exec.RunRequest;
import dev.livepost.exec.RunSink;
import dev.livepost.exec.RunStatus;
import dev.livepost.exec.StateLoss;
import java.util.function.Consumer;

/**
 * One reader session on the local executor: a sandbox whose kernel keeps the session's variables
 * and files. A sandbox killed during a run (time limit, memory) is replaced, and the run reports
 * why state was lost; one that died between runs is reported as {@link RunOutcome.Lost} before any
 * code runs in its replacement. Thread-safe as {@link ExecutorSession} requires.
 */
final class LocalSession implements ExecutorSession {
    // Exit codes as a shell reports them: GNU timeout's 124, 128 + SIGINT, 128 + SIGKILL.
    private static final int EXIT_TIMEOUT = 124;
    private static final int EXIT_INTERRUPTED = 130;
    private static final int EXIT_KILLED = 137;

    private final SandboxPool pool;
    private final Limits limits;
    private final Consumer<LocalSession> onClose;
    private Sandbox sandbox; // guarded by this

    /** Whether the current sandbox ran code, so its death loses something. Guarded by this. */
    private boolean hasState;

    private boolean closed; // guarded by this

    LocalSession(SandboxPool pool, Limits limits, Sandbox sandbox, Consumer<LocalSession> onClose) {
        this.pool = pool;
        this.onClose = onClose;
        this.limits = limits;
        this.sandbox = sandbox;
    }

    @Override
    public RunOutcome run(RunRequest request, RunSink sink) {
        Sandbox box;
        synchronized (this) {
            if (closed) {
                return new RunOutcome.Failed("session_closed", "This session was closed.");
            }
            if (sandbox != null && !sandbox.alive()) {
                // It died between runs (e.g. a thread the code left behind ran out of memory).
                Sandbox dead = sandbox;
                StateLoss why = loss(dead);
                boolean hadState = hasState;
                replace(dead);
                if (hadState) {
                    return new RunOutcome.Lost(why);
                }
            }
            if (sandbox == null) {
                try {
                    sandbox = pool.take();
                } catch (LivepostException e) {
                    return new RunOutcome.Failed(e.code(), e.getMessage());
                }
            }
            box = sandbox;
            hasState = true;
        }
        pool.readerRuns();
        box.thaw();
        Sandbox.Ending ending = box.run(request.runId(), request.source(), sink, request.timeout());
        try {
            return outcome(box, request, ending);
        } finally {
            idle(box);
        }
    }

    /**
     * Freezes the session's sandbox between runs: what the code left running (a busy thread, a
     * background process) uses no CPU while the reader reads, and nothing outlives the run.
     */
    private void idle(Sandbox box) {
        synchronized (this) {
            if (sandbox != box || closed) {
                return;
            }
            if (box.alive()) {
                box.freeze();
            }
        }
    }

    /** What the session's sandbox uses now; -1 where unknown or when it has none. */
    long memoryBytes() {
        Sandbox box;
        synchronized (this) {
            box = sandbox;
        }
        return box == null ? -1 : box.memoryBytes();
    }

    /** Whether the session's sandbox is frozen between runs. */
    boolean frozen() {
        Sandbox box;
        synchronized (this) {
            box = sandbox;
        }
        return box != null && box.frozen();
    }

    private RunOutcome outcome(Sandbox box, RunRequest request, Sandbox.Ending ending) {
        if (ending == null) {
            box.interrupt();
            ending = box.await(limits.killGrace());
            if (ending == null || ending.kind() == Sandbox.Ending.Kind.DIED) {
                replace(box);
                return new RunOutcome.Finished(
                        RunStatus.TIMEOUT, EXIT_TIMEOUT, new StateLoss.TimedOut());
            }
            return new RunOutcome.Finished(RunStatus.TIMEOUT, EXIT_TIMEOUT);
        }
        switch (ending.kind()) {
            case OK:
                return new RunOutcome.Finished(RunStatus.OK, ending.exitCode());
            case ERROR:
                return new RunOutcome.Finished(RunStatus.ERROR, ending.exitCode());
            case INTERRUPTED:
                return new RunOutcome.Finished(RunStatus.INTERRUPTED, EXIT_INTERRUPTED);
            default:
                synchronized (this) {
                    if (closed) {
                        return new RunOutcome.Failed(
                                "session_closed", "The session was deleted during the run.");
                    }
                }
                StateLoss why = loss(box);
                replace(box);
                // Killed while frozen between runs, it dies as it is thawed for this run.
                return box.started()
                        ? new RunOutcome.Finished(RunStatus.KILLED, EXIT_KILLED, why)
                        : new RunOutcome.Lost(why);
        }
    }

    private StateLoss loss(Sandbox dead) {
        return dead.outOfMemory()
                ? new StateLoss.OutOfMemory(limits.memoryBytes())
                : new StateLoss.SandboxStopped();
    }

    /** Kills a sandbox whose state is lost; the next run takes a fresh one from the pool. */
    private void replace(Sandbox box) {
        box.kill();
        synchronized (this) {
            if (sandbox == box) {
                sandbox = null;
                hasState = false;
            }
        }
        pool.fill();
    }

    @Override
    public void interrupt() {
        Sandbox box;
        synchronized (this) {
            box = sandbox;
        }
        if (box != null) {
            box.interrupt();
        }
    }

    @Override
    public void interrupt(String runId) {
        Sandbox box;
        synchronized (this) {
            box = sandbox;
        }
        if (box != null) {
            box.interrupt(runId);
        }
    }

    @Override
    public boolean stdin(String text, boolean eof) {
        Sandbox box;
        synchronized (this) {
            box = sandbox;
        }
        if (box != null) {
            box.stdin(text, eof);
        }
        return true;
    }

    @Override
    public void close() {
        Sandbox box;
        synchronized (this) {
            closed = true;
            box = sandbox;
            sandbox = null;
        }
        if (box != null) {
            box.kill();
        }
        onClose.accept(this);
    }
}
