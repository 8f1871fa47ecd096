package dev.livepost.exec.local;

import dev.livepost.Limits;
import dev.livepost.LivepostException;
import dev.livepost.exec.ExecutorSession;
import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunOutcome;
import dev.livepost.exec.RunRequest;
import dev.livepost.exec.RunSink;
import dev.livepost.exec.RunStatus;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * One reader session on the local executor: a sandbox whose kernel keeps the session's variables
 * and files. A sandbox that died is replaced at the next run, with a notice that state was lost.
 * Thread-safe as {@link ExecutorSession} requires.
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
        try {
            box = sandboxFor(sink);
        } catch (LivepostException e) {
            return new RunOutcome.Failed(e.code(), e.getMessage());
        }
        if (box == null) {
            return new RunOutcome.Failed("session_closed", "This session was closed.");
        }
        Sandbox.Ending ending = box.run(request.runId(), request.source(), sink, request.timeout());
        if (ending == null) {
            box.interrupt();
            ending = box.await(limits.killGrace());
            if (ending == null || ending == Sandbox.Ending.DIED) {
                replace(box);
                sink.emit(
                        new RunEvent.Notice(
                                "The run passed its time limit of "
                                        + seconds(request.timeout())
                                        + " and did not stop when interrupted, so its sandbox was"
                                        + " restarted: variables and files of this session were"
                                        + " lost."));
            } else {
                sink.emit(
                        new RunEvent.Notice(
                                "The run passed its time limit of "
                                        + seconds(request.timeout())
                                        + " and was interrupted."));
            }
            return new RunOutcome.Finished(RunStatus.TIMEOUT, EXIT_TIMEOUT);
        }
        switch (ending) {
            case OK:
                return RunOutcome.ok();
            case ERROR:
                return new RunOutcome.Finished(RunStatus.ERROR, 1);
            case INTERRUPTED:
                return new RunOutcome.Finished(RunStatus.INTERRUPTED, EXIT_INTERRUPTED);
            default:
                synchronized (this) {
                    if (closed) {
                        return new RunOutcome.Failed(
                                "session_closed", "The session was deleted during the run.");
                    }
                }
                boolean oom = box.outOfMemory();
                replace(box);
                sink.emit(
                        new RunEvent.Notice(
                                (oom
                                                ? "The code used more than the memory limit of "
                                                        + (limits.memoryBytes() >> 20)
                                                        + " MB"
                                                : "The sandbox stopped")
                                        + ", so it was restarted: variables and files of this"
                                        + " session were lost."));
                return new RunOutcome.Finished(RunStatus.KILLED, EXIT_KILLED);
        }
    }

    /** The session's live sandbox, replacing a dead one; null once closed. */
    private synchronized Sandbox sandboxFor(RunSink sink) {
        if (closed) {
            return null;
        }
        if (sandbox != null && sandbox.alive()) {
            hasState = true;
            return sandbox;
        }
        if (sandbox != null) {
            sandbox.kill();
            sandbox = null;
            if (hasState) {
                sink.emit(
                        new RunEvent.Notice(
                                "The sandbox of this session had stopped; this run starts in a"
                                        + " fresh one, so earlier variables and files are gone."));
            }
        }
        sandbox = pool.take();
        hasState = true;
        return sandbox;
    }

    /** Kills a sandbox whose state is lost; the next run takes a fresh one from the pool. */
    private void replace(Sandbox box) {
        box.kill();
        synchronized (this) {
            if (sandbox == box) {
                sandbox = null; // the loss was reported with this run
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

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
