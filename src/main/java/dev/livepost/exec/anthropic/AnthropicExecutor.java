package dev.livepost.exec.anthropic;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.Config;
import dev.livepost.LivepostException;
import dev.livepost.exec.Executor;
import dev.livepost.exec.ExecutorHealth;
import dev.livepost.exec.ExecutorSession;
import dev.livepost.exec.SessionSpec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs code in Anthropic's code execution containers through the Messages API (the official SDK),
 * one container per reader session. Without an API key the server still starts: {@link #health}
 * says how to fix it and sessions cannot be opened. Thread-safe.
 */
public final class AnthropicExecutor implements Executor {
    static final String CODE_EXECUTION_BETA = "code-execution-2025-08-25";
    static final String SKILLS_BETA = "skills-2025-10-02";

    /**
     * Knobs of the conversation with the API, separate from {@link Config} so tests can shorten
     * them.
     *
     * @param apiGrace time on top of a run's limit for the model to send the code and the answer
     * @param maxContinuations how often a {@code pause_turn} is continued in one run
     * @param maxRetryAfter longest {@code retry-after} of a 429 that is waited for (once)
     * @param promptMaxTokens {@code max_tokens} of a prompt-mode response
     */
    public record Tuning(
            Duration apiGrace, int maxContinuations, Duration maxRetryAfter, long promptMaxTokens) {
        public static Tuning defaults() {
            return new Tuning(Duration.ofSeconds(90), 5, Duration.ofSeconds(10), 8192);
        }
    }

    /** What the sessions of this executor share. */
    record Context(
            AnthropicClient client,
            Config.Anthropic config,
            ObjectMapper json,
            FileFetcher files,
            Uploads uploads,
            Requests requests,
            Billing billing,
            ExecutorService pool,
            Tuning tuning) {}

    private final Config.Anthropic config;
    private final Context ctx;
    private volatile boolean closed;

    public AnthropicExecutor(Config config) {
        this(config, Tuning.defaults(), new SimpleMeterRegistry(), Clock.systemUTC());
    }

    public AnthropicExecutor(Config config, Tuning tuning) {
        this(config, tuning, new SimpleMeterRegistry(), Clock.systemUTC());
    }

    /**
     * @param metrics where token usage and cost are counted
     * @param clock the clock of the daily budget's UTC day and of upload retries
     */
    public AnthropicExecutor(Config config, Tuning tuning, MeterRegistry metrics, Clock clock) {
        this.config = config.anthropic();
        if (this.config.apiKey() == null) {
            this.ctx = null;
            return;
        }
        AnthropicClient client =
                AnthropicOkHttpClient.builder()
                        .apiKey(this.config.apiKey())
                        .baseUrl(stripSlash(this.config.baseUrl().toString()))
                        // We retry a 429 ourselves (once, if short) and report the rest.
                        .maxRetries(0)
                        .timeout(Duration.ofMinutes(10))
                        .putHeader("anthropic-version", this.config.apiVersion())
                        // SDK 3.13 sends a key given to apiKey() as "Authorization: Bearer";
                        // the documented header for API keys is x-api-key, and with it set the
                        // SDK adds no other credential.
                        .putHeader("x-api-key", this.config.apiKey())
                        .build();
        var threads = new AtomicInteger();
        ExecutorService pool =
                Executors.newCachedThreadPool(
                        r -> {
                            var t =
                                    new Thread(
                                            r, "livepost-anthropic-" + threads.incrementAndGet());
                            t.setDaemon(true);
                            return t;
                        });
        this.ctx =
                new Context(
                        client,
                        this.config,
                        new ObjectMapper(),
                        new FileFetcher(client, config.limits().maxFileBytes()),
                        new Uploads(client, pool, clock),
                        new Requests(this.config),
                        new Billing(
                                this.config.model(),
                                new DailyBudget(this.config.dailyBudget(), clock),
                                metrics),
                        pool,
                        tuning);
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    public String name() {
        return "anthropic";
    }

    @Override
    public ExecutorHealth health() {
        if (ctx == null) {
            return ExecutorHealth.unavailable(
                    "ANTHROPIC_API_KEY is not set: set it to run code with Anthropic's code"
                            + " execution.");
        }
        return ExecutorHealth.ok(
                "Anthropic code execution ("
                        + config.tool()
                        + "), model "
                        + config.model()
                        + " at "
                        + config.baseUrl()
                        + (config.dailyBudget() > 0
                                ? ", daily budget " + config.dailyBudget() + " tokens"
                                : ""));
    }

    /** Prompt artifacts: Claude writes and runs the code in the session's container. */
    @Override
    public boolean supportsPrompts() {
        return true;
    }

    @Override
    public ExecutorSession open(SessionSpec spec) {
        if (ctx == null) {
            throw LivepostException.unavailable(health().detail());
        }
        if (closed) {
            throw LivepostException.unavailable("The server is shutting down.");
        }
        if (!spec.prompt() && !"python".equals(spec.language())) {
            // The container's kernel runs Python; the other languages need the local executor.
            throw LivepostException.badRequest(
                    "unsupported_language",
                    "The anthropic executor runs python code artifacts, not lang="
                            + spec.language()
                            + "; run this blog with the local executor for it.");
        }
        return new AnthropicSession(ctx, spec);
    }

    @Override
    public void close() {
        closed = true;
        if (ctx != null) {
            ctx.pool().shutdownNow();
            ctx.client().close();
        }
    }
}
