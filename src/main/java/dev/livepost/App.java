package dev.livepost;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.livepost.blog.Blog;
import dev.livepost.exec.Executor;
import dev.livepost.exec.Sessions;
import dev.livepost.exec.anthropic.AnthropicExecutor;
import dev.livepost.exec.local.LocalExecutor;
import dev.livepost.precompute.OutputStore;
import dev.livepost.precompute.Precomputer;
import dev.livepost.precompute.RuntimeId;
import dev.livepost.web.WebServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires Livepost together from one {@link Config}: blog, executor, sessions, web server. */
public final class App implements AutoCloseable {
    /** How long runs in progress get to end by themselves when the server is stopped. */
    public static final Duration STOP_GRACE = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(App.class);

    private final Config config;
    private final Blog blog;
    private final Executor executor;
    private final Sessions sessions;
    private final WebServer web;
    private final Precomputer precomputer;
    private final JvmGcMetrics gcMetrics;
    private int port = -1;
    private final AtomicBoolean closed = new AtomicBoolean();

    public App(Config config) {
        this.config = config;
        var metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new ClassLoaderMetrics().bindTo(metrics);
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        new UptimeMetrics().bindTo(metrics);
        this.gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(metrics);
        var json = jsonMapper();
        this.blog = new Blog(config);
        this.executor = executor(config, metrics);
        var health = executor.health();
        if (health.available()) {
            log.info("executor {}: {}", executor.name(), health.detail());
        } else {
            log.warn("executor {} cannot run code: {}", executor.name(), health.detail());
        }
        this.sessions =
                new Sessions(
                        executor,
                        Sessions.Settings.of(config),
                        config.data(),
                        Clock.systemUTC(),
                        metrics);
        var store = new OutputStore(config.data(), json);
        this.precomputer =
                new Precomputer(
                        blog,
                        sessions,
                        store,
                        () -> RuntimeId.of(config),
                        new Precomputer.Settings(
                                config.precompute().concurrency(), false, Duration.ofSeconds(2)),
                        Clock.systemUTC());
        this.web = new WebServer(config, blog, sessions, metrics, json, precomputer::output, store);
    }

    /** The executor the configuration names. */
    public static Executor executor(Config config) {
        return executor(config, new SimpleMeterRegistry());
    }

    /**
     * The executor the configuration names; the anthropic one counts its token usage in metrics.
     */
    public static Executor executor(Config config, MeterRegistry metrics) {
        return switch (config.executor()) {
            case "anthropic" ->
                    new AnthropicExecutor(
                            config,
                            AnthropicExecutor.Tuning.defaults(),
                            metrics,
                            Clock.systemUTC());
            default -> new LocalExecutor(config);
        };
    }

    /** JSON as the API speaks it: records by their component names, nulls left out. */
    public static ObjectMapper jsonMapper() {
        return new ObjectMapper()
                .registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .setSerializationInclusion(JsonInclude.Include.NON_NULL);
    }

    /** Starts serving; returns the bound port. */
    public int start() {
        port = web.start();
        if (config.precompute().enabled()) {
            precomputer.start(); // in the background: readers do not wait for it
        }
        return port;
    }

    public int port() {
        return port;
    }

    public Blog blog() {
        return blog;
    }

    public Sessions sessions() {
        return sessions;
    }

    public Precomputer precomputer() {
        return precomputer;
    }

    public Config config() {
        return config;
    }

    /**
     * Stops gracefully, as on {@code SIGTERM}: no new connection is accepted and no new session or
     * run, runs in progress get up to {@code grace} to end (their streams then end as usual), the
     * rest are interrupted and their streams end with the {@code error} {@code server_stopping};
     * then everything is closed as by {@link #close}. Blocks until then (about {@code grace} plus 7
     * s at most).
     */
    public void stop(Duration grace) {
        precomputer.close(); // the server's own runs: nobody waits for them
        web.stopAccepting();
        sessions.stop(grace);
        close();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Runs end first (their streams get their last event), then the server stops: a stream
        // still open when Jetty stops makes Javalin loop on the recycled response.
        precomputer.close();
        sessions.close();
        web.close();
        executor.close();
        blog.close();
        gcMetrics.close();
    }
}
