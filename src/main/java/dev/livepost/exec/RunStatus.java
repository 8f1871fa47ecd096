package dev.livepost.exec;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How a run ended. */
public enum RunStatus {
    OK,
    /** The user's code raised; its traceback went to stderr. */
    ERROR,
    /** The run outlived its time limit. */
    TIMEOUT,
    /** Stopped on request (interrupt, closed tab, output limit). */
    INTERRUPTED,
    /** The sandbox died (memory limit, killed after a timeout). */
    KILLED;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
