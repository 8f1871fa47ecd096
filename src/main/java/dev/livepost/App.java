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
import dev.livepost.web.WebServer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires Livepost together from one {@link Config}: blog, executor, sessions, web server. */
public final class App implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(App.class);

    private final Config config;
    private final Blog blog;
    private final Executor executor;
    private final Sessions sessions;
    private final WebServer web;
    private final JvmGcMetrics gcMetrics;
    private int port = -1;

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
        this.executor =
                switch (config.executor()) {
                    case "anthropic" ->
                            new AnthropicExecutor(
                                    config,
                                    AnthropicExecutor.Tuning.defaults(),
                                    metrics,
                                    Clock.systemUTC());
                    default -> new LocalExecutor(config);
                };
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
        this.web = new WebServer(config, blog, sessions, metrics, json);
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

    public Config config() {
        return config;
    }

    @Override
    public void close() {
        // Runs end first (their streams get their last event), then the server stops: a stream
        // still open when Jetty stops makes Javalin loop on the recycled response.
        sessions.close();
        web.close();
        executor.close();
        blog.close();
        gcMetrics.close();
    }
}
