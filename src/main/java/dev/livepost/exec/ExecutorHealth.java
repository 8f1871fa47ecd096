package dev.livepost.exec;

/**
 * Whether an executor can run code, and if not, why and how to fix it, in one line for the log and
 * {@code /healthz}.
 */
public record ExecutorHealth(boolean available, String detail) {
    public static ExecutorHealth ok(String detail) {
        return new ExecutorHealth(true, detail);
    }

    public static ExecutorHealth unavailable(String why) {
        return new ExecutorHealth(false, why);
    }
}
