package dev.livepost.exec;

/**
 * Why a session's interpreter state (its variables, and with most causes its files) did not
 * survive. Executors report it as a fact; {@link Sessions} words the reader's notice and replays
 * the artifact's setup chain before the next code runs.
 */
public sealed interface StateLoss {

    /** Whether the session's files survived (only the interpreter was restarted). */
    default boolean filesKept() {
        return false;
    }

    /** The run passed its time limit and did not stop when interrupted, so it was killed. */
    record TimedOut() implements StateLoss {}

    /** The code used more than the sandbox's memory limit, so the sandbox was killed. */
    record OutOfMemory(long limitBytes) implements StateLoss {}

    /** The sandbox stopped for another reason (e.g. the code ended its own process). */
    record SandboxStopped() implements StateLoss {}

    /** Anthropic's code execution container expired or was reset; a new one has no files. */
    record ContainerReplaced() implements StateLoss {}

    /** The server needed the session's sandbox for another reader while this one was idle. */
    record Evicted() implements StateLoss {}

    /** The interpreter in Anthropic's container was restarted; the container's files remain. */
    record InterpreterRestarted() implements StateLoss {
        @Override
        public boolean filesKept() {
            return true;
        }
    }
}
