package dev.livepost.exec;

/**
 * The executor side of one reader session: its interpreter state and files. {@link Sessions}
 * guarantees that at most one {@link #run} is in progress at a time; {@link #interrupt} and {@link
 * #close} may be called from any thread, also during a run.
 */
public interface ExecutorSession extends AutoCloseable {

    /**
     * Runs one block, sending its output to {@code sink} as it happens, and blocks until it ends.
     * Enforces {@code request.timeout()}: a run past it is interrupted, then killed. Reports facts,
     * not prose: whether the session's state survived the run ({@link RunOutcome.Finished#lost}),
     * or that it was found lost before the code could start ({@link RunOutcome.Lost}, and then
     * nothing of the code ran). Never throws for the user's code failing.
     */
    RunOutcome run(RunRequest request, RunSink sink);

    /** Stops the current run like KeyboardInterrupt; state is kept. No effect when idle. */
    void interrupt();

    /**
     * Stops the run {@code runId} (the id of a {@link RunRequest}, or the prefix before {@code
     * -setup-N} of its setup steps) like KeyboardInterrupt, also when it has not been sent yet: an
     * interrupt that comes just before its run must not be lost. No effect on other runs.
     */
    default void interrupt(String runId) {
        interrupt();
    }

    /**
     * Hands standard input to the current run: {@code text} (may be empty) and then, when {@code
     * eof}, the end of the input. Never blocks on the code reading it. Input for a run that has
     * ended is dropped. May be called from any thread during {@link #run}.
     *
     * @return false where this executor has no standard input for the code (nothing was sent)
     */
    default boolean stdin(String text, boolean eof) {
        return false;
    }

    /** Discards the session's state and sandbox. Idempotent. */
    @Override
    void close();
}
