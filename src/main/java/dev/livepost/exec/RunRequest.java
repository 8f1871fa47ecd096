package dev.livepost.exec;

import java.time.Duration;

/**
 * One run of a session.
 *
 * @param runId unique id of this run
 * @param source the code to run, or in prompt mode the request to Claude
 * @param timeout wall time after which the run is interrupted (already capped by the server)
 * @param code whether {@code source} is code to run although the session is a {@linkplain
 *     SessionSpec#conversation conversation} (the reader re-runs code Claude ran); false: as the
 *     session's spec says
 */
public record RunRequest(String runId, String source, Duration timeout, boolean code) {
    public RunRequest(String runId, String source, Duration timeout) {
        this(runId, source, timeout, false);
    }
}
