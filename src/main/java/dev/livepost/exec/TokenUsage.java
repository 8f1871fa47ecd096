package dev.livepost.exec;

/**
 * What a run cost on a paid model API (the {@code anthropic} executor), sent in the {@code done}
 * event's {@code usage}. Immutable.
 *
 * @param inputTokens input tokens billed at the full rate
 * @param outputTokens output tokens (for code execution, the commands Claude typed included)
 * @param cacheReadTokens input tokens read from the prompt cache
 * @param cacheWriteTokens input tokens written to the prompt cache
 * @param costUsd the estimated price in US dollars, or null when the model's price is not known
 */
public record TokenUsage(
        long inputTokens,
        long outputTokens,
        long cacheReadTokens,
        long cacheWriteTokens,
        Double costUsd) {

    public static final TokenUsage NONE = new TokenUsage(0, 0, 0, 0, null);

    /** Both together; the cost is known only if it is known for both (or one is {@link #NONE}). */
    public TokenUsage plus(TokenUsage o) {
        Double cost;
        if (isEmpty() || o.isEmpty()) {
            cost = isEmpty() ? o.costUsd : costUsd;
        } else {
            cost = costUsd == null || o.costUsd == null ? null : costUsd + o.costUsd;
        }
        return new TokenUsage(
                inputTokens + o.inputTokens,
                outputTokens + o.outputTokens,
                cacheReadTokens + o.cacheReadTokens,
                cacheWriteTokens + o.cacheWriteTokens,
                cost);
    }

    /** Every token counted against a budget: input (cached or not) and output. */
    public long total() {
        return inputTokens + outputTokens + cacheReadTokens + cacheWriteTokens;
    }

    public boolean isEmpty() {
        return total() == 0 && costUsd == null;
    }
}
