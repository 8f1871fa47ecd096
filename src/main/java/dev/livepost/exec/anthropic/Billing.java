package dev.livepost.exec.anthropic;

import dev.livepost.exec.TokenUsage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the owner pays: prices each API response's token usage, counts it in {@code /metrics}
 * ({@code livepost_anthropic_tokens_total} by kind, {@code livepost_anthropic_cost_usd_total},
 * {@code livepost_anthropic_budget_used_tokens}) and against the {@link DailyBudget}, and writes
 * each run's log line. Thread-safe.
 */
final class Billing {
    private static final Logger log = LoggerFactory.getLogger(Billing.class);

    private final Pricing pricing;
    private final DailyBudget budget;
    private final Counter input;
    private final Counter output;
    private final Counter cacheRead;
    private final Counter cacheWrite;
    private final Counter cost;

    Billing(String model, DailyBudget budget, MeterRegistry metrics) {
        this.pricing = Pricing.of(model);
        this.budget = budget;
        this.input = tokens(metrics, "input");
        this.output = tokens(metrics, "output");
        this.cacheRead = tokens(metrics, "cache_read");
        this.cacheWrite = tokens(metrics, "cache_write");
        this.cost =
                Counter.builder("livepost_anthropic_cost_usd_total")
                        .description("estimated cost of Anthropic API calls, at list prices")
                        .register(metrics);
        Gauge.builder("livepost_anthropic_budget_used_tokens", budget, DailyBudget::usedToday)
                .description("tokens counted against LIVEPOST_ANTHROPIC_DAILY_BUDGET today (UTC)")
                .register(metrics);
        Gauge.builder("livepost_anthropic_budget_limit_tokens", budget, b -> b.limit())
                .description("LIVEPOST_ANTHROPIC_DAILY_BUDGET; 0: no cap")
                .register(metrics);
    }

    private static Counter tokens(MeterRegistry metrics, String kind) {
        return Counter.builder("livepost_anthropic_tokens")
                .description("tokens of Anthropic API calls, by kind")
                .tag("kind", kind)
                .register(metrics);
    }

    /**
     * Fails when today's budget is used up.
     *
     * @throws UpstreamException {@code budget_exhausted}
     */
    void check() {
        if (budget.exhausted()) {
            throw new UpstreamException(
                    "budget_exhausted",
                    "This server's daily budget for Anthropic's API ("
                            + budget.limit()
                            + " tokens) is used up; runs work again after 00:00 UTC.");
        }
    }

    /** Prices and counts one response's usage; returns it priced. */
    TokenUsage charge(long in, long out, long read, long write) {
        TokenUsage u = Pricing.priced(pricing, in, out, read, write);
        input.increment(in);
        output.increment(out);
        cacheRead.increment(read);
        cacheWrite.increment(write);
        if (u.costUsd() != null) {
            cost.increment(u.costUsd());
        }
        budget.spend(u.total());
        return u;
    }

    /** The run's log line: what it did and what it cost. */
    void logRun(String runId, String outcome, int requests, TokenUsage u) {
        log.info(
                "anthropic run {}: {}, {} request(s), tokens input={} output={} cache_read={}"
                        + " cache_write={}, cost {}",
                runId,
                outcome,
                requests,
                u.inputTokens(),
                u.outputTokens(),
                u.cacheReadTokens(),
                u.cacheWriteTokens(),
                u.isEmpty()
                        ? "none"
                        : u.costUsd() == null
                                ? "unknown (no price for this model)"
                                : String.format(Locale.ROOT, "~$%.5f", u.costUsd()));
    }
}
