package dev.livepost.exec.anthropic;

import dev.livepost.exec.TokenUsage;
import java.util.Locale;

/**
 * Anthropic's list prices per million tokens, by model family, for the estimated cost of a run.
 * Cache writes (5-minute) cost 1.25 times the input price, cache reads 0.1 times. Code execution's
 * container time is billed apart and not included. Immutable.
 *
 * @param inputPerMillion US dollars per million input tokens
 * @param outputPerMillion US dollars per million output tokens
 */
record Pricing(double inputPerMillion, double outputPerMillion) {

    /** The list price of {@code model}, or null when the family is not known here. */
    static Pricing of(String model) {
        String m = model.toLowerCase(Locale.ROOT);
        if (m.contains("opus-4-5") || m.contains("opus-4.5")) {
            return new Pricing(5, 25);
        }
        if (m.contains("opus")) {
            return new Pricing(15, 75);
        }
        if (m.contains("sonnet")) {
            return new Pricing(3, 15);
        }
        if (m.contains("haiku-4") || m.contains("haiku-4.5")) {
            return new Pricing(1, 5);
        }
        if (m.contains("haiku")) {
            return new Pricing(0.8, 4);
        }
        return null;
    }

    /** The tokens with their estimated cost; without a price, with none. */
    static TokenUsage priced(Pricing p, long input, long output, long cacheRead, long cacheWrite) {
        Double cost =
                p == null
                        ? null
                        : (input * p.inputPerMillion
                                        + cacheWrite * p.inputPerMillion * 1.25
                                        + cacheRead * p.inputPerMillion * 0.1
                                        + output * p.outputPerMillion)
                                / 1e6;
        return new TokenUsage(input, output, cacheRead, cacheWrite, cost);
    }
}
