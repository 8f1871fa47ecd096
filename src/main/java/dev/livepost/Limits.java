package dev.livepost;

import java.time.Duration;

/**
 * What one run and one session may use. The server enforces these from outside the sandbox; an
 * artifact's own {@code timeout=} can only lower {@link #runTimeout}.
 *
 * @param runTimeout wall time of one run before it is interrupted
 * @param killGrace time an interrupted run gets to stop before its sandbox is killed
 * @param memoryBytes memory of one sandbox (all its processes, tmpfs included)
 * @param maxProcesses processes and threads in one sandbox
 * @param fileSizeBytes largest file the code may write
 * @param openFiles open file descriptors per process
 * @param outputBytes stdout + stderr of one run before it is stopped
 * @param codeBytes largest code or prompt a run accepts (413 beyond)
 * @param workDiskBytes size of the sandbox's writable working folder
 * @param maxFileBytes largest generated file the server keeps and serves
 * @param sessionsPerMinute new sessions one client (IP address) may open per minute (429 beyond)
 * @param runsPerMinute runs one client may start per minute (429 beyond)
 * @param sessionsPerClient sessions holding a sandbox that one client may have at once (its oldest
 *     idle one is evicted for a new one)
 */
public record Limits(
        Duration runTimeout,
        Duration killGrace,
        long memoryBytes,
        int maxProcesses,
        long fileSizeBytes,
        int openFiles,
        long outputBytes,
        int codeBytes,
        long workDiskBytes,
        long maxFileBytes,
        int sessionsPerMinute,
        int runsPerMinute,
        int sessionsPerClient) {

    public static Limits defaults() {
        return new Limits(
                Duration.ofSeconds(30),
                Duration.ofSeconds(3),
                512L << 20,
                64,
                32L << 20,
                256,
                1L << 20,
                100_000,
                64L << 20,
                16L << 20,
                60,
                300,
                // A class in a computer room shares one address; one reader needs a few.
                50);
    }
}
