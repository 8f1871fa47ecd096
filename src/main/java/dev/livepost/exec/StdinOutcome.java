package dev.livepost.exec;

/**
 * What became of standard input sent to a session ({@link Sessions#stdin}): facts the web layer
 * turns into statuses.
 */
public enum StdinOutcome {
    /** Handed to the running code (or, for text, to the pipe it reads). */
    SENT,
    /** The session has no run in progress: there is nothing to read it. */
    NO_RUN,
    /**
     * The run already got {@link Sessions#STDIN_BYTES_PER_RUN} bytes of input; nothing was sent.
     */
    OVER_LIMIT,
    /** Where the code runs has no standard input (prompt mode, the anthropic executor). */
    UNSUPPORTED
}
