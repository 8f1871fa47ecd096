package dev.livepost.exec;

/**
 * How an executor reports the end of a run: the code ran and ended ({@link Finished}), the code did
 * not run because the session's state was found lost ({@link Lost}), or something outside the code
 * failed ({@link Failed}, sent to the reader as an {@code error} event). Facts only: {@link
 * Sessions} decides what the reader is told and whether setup runs again.
 */
public sealed interface RunOutcome {

    /**
     * The code ran and ended.
     *
     * @param exitCode the process-style exit code, or null when unknown
     * @param lost why the session's state did not survive this run, or null when it did
     */
    record Finished(RunStatus status, Integer exitCode, StateLoss lost) implements RunOutcome {
        public Finished(RunStatus status, Integer exitCode) {
            this(status, exitCode, null);
        }
    }

    /**
     * The code did not run: before it could start, the session's state was found lost (its sandbox
     * had died, its container expired). The executor is ready to run from a fresh state, so the
     * same request can be sent again after the setup chain.
     */
    record Lost(StateLoss why) implements RunOutcome {}

    /** Something outside the code failed; nothing more is known of the run. */
    record Failed(String code, String message) implements RunOutcome {}

    static RunOutcome ok() {
        return new Finished(RunStatus.OK, 0);
    }
}
