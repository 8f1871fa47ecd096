package dev.livepost.exec;

/**
 * What the sessions of an executor use now and what is left, as facts for {@link Sessions}'
 * admission: a new session is admitted by what sessions really use, not by their limits.
 *
 * @param sandboxes sandboxes alive (pre-started ones included)
 * @param pooled pre-started sandboxes waiting for sessions: a new session takes one of these before
 *     another is started, so they leave room for as many
 * @param maxSandboxes the most the executor can run at all (uids, process slots)
 * @param frozen sandboxes frozen now: idle sessions' until their next run, and pooled ones
 * @param usedBytes memory the sessions' sandboxes use together, as far as it can be measured
 * @param newSandboxBytes what one more session is likely to use (measured sessions' average)
 * @param availableBytes memory the machine can still give without swapping, the pooled sandboxes'
 *     counted as given back, or -1 where unknown
 * @param headroomBytes memory to keep free for code that is running (it may grow to its limit)
 * @param underPressure whether the machine is already stalling for memory
 */
public record Capacity(
        int sandboxes,
        int pooled,
        int maxSandboxes,
        int frozen,
        long usedBytes,
        long newSandboxBytes,
        long availableBytes,
        long headroomBytes,
        boolean underPressure) {

    /** An executor whose sessions cost this machine nothing (the sandboxes are elsewhere). */
    public static Capacity unbounded() {
        return new Capacity(0, 0, Integer.MAX_VALUE, 0, 0, 0, -1, 0, false);
    }

    /**
     * Whether {@code more} sessions fit: below the count cap, and their memory beside the headroom.
     */
    public boolean roomFor(int more) {
        if (sandboxes - pooled + more > maxSandboxes || underPressure) {
            return false;
        }
        return availableBytes < 0 || availableBytes - headroomBytes >= more * newSandboxBytes;
    }
}
