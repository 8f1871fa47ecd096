package dev.livepost.exec;

/**
 * How an executor reports the end of a run: either the user's code finished ({@link Finished}), or
 * something outside it failed ({@link Failed}, sent to the reader as an {@code error} event).
 */
public sealed interface RunOutcome {

    record Finished(RunStatus status, Integer exitCode) implements RunOutcome {}

    record Failed(String code, String message) implements RunOutcome {}

    static RunOutcome ok() {
        return new Finished(RunStatus.OK, 0);
    }
}
