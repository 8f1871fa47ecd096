package dev.livepost.exec;

import java.time.Duration;

/**
 * One run of a session.
 *
 * @param runId unique id of this run
 * @param source the code to run, or in prompt mode the request to Claude
 * @param timeout wall time after which the run is interrupted (already capped by the server)
 */
public record RunRequest(String runId, String source, Duration timeout) {}
