package dev.livepost.exec;

import java.util.Map;

/**
 * Whether an executor can run code, and if not, why and how to fix it, in one line for the log and
 * {@code /healthz}; with facts an operator checks there (for the local executor: which privilege
 * mode its sandboxes run in).
 *
 * @param facts extra {@code /healthz} fields, name to value
 */
public record ExecutorHealth(boolean available, String detail, Map<String, String> facts) {
    public ExecutorHealth {
        facts = Map.copyOf(facts);
    }

    public static ExecutorHealth ok(String detail) {
        return new ExecutorHealth(true, detail, Map.of());
    }

    public static ExecutorHealth unavailable(String why) {
        return new ExecutorHealth(false, why, Map.of());
    }

    public ExecutorHealth with(Map<String, String> moreFacts) {
        var all = new java.util.LinkedHashMap<>(facts);
        all.putAll(moreFacts);
        return new ExecutorHealth(available, detail, all);
    }
}
