package dev.livepost.exec.anthropic;

import dev.livepost.exec.RunOutcome;

/**
 * A failure on Anthropic's side of a run, already phrased for the reader: it ends the run with an
 * {@code error} event carrying {@link #code()} and the message.
 */
final class UpstreamException extends RuntimeException {
    private final String code;

    UpstreamException(String code, String message) {
        super(message);
        this.code = code;
    }

    UpstreamException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    String code() {
        return code;
    }

    RunOutcome outcome() {
        return new RunOutcome.Failed(code, getMessage());
    }
}
