package dev.livepost.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.Config;
import dev.livepost.DaemonThreads;
import dev.livepost.LivepostException;
import dev.livepost.blog.Blog;
import dev.livepost.exec.Sessions;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of Livepost: pages, the session API, health and metrics, wired onto one Javalin
 * (Jetty 12) server. Every {@link LivepostException} becomes the contract's JSON error body here.
 */
public final class WebServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebServer.class);

    private final Config config;
    private final Javalin app;
    private final ApiRoutes api;
    private final ScheduledExecutorService heartbeats;

    public WebServer(
            Config config,
            Blog blog,
            Sessions sessions,
            PrometheusMeterRegistry metrics,
            ObjectMapper json) {
        this.config = config;
        this.heartbeats =
                Executors.newSingleThreadScheduledExecutor(
                        DaemonThreads.named("livepost-sse-heartbeat"));
        this.api = new ApiRoutes(config.limits(), blog, sessions, json, heartbeats);
        var pages = new PageRoutes(config, blog);
        this.app =
                Javalin.create(
                        c -> {
                            c.startup.showJavalinBanner = false;
                            c.startup.showOldJavalinVersionWarning = false;
                            c.jsonMapper(new JavalinJackson(json, false));
                            c.jetty.host = config.host();
                            c.jetty.port = config.port();
                            c.staticFiles.add(
                                    s -> {
                                        s.hostedPath = "/assets";
                                        s.directory = "/assets";
                                        s.location = io.javalin.http.staticfiles.Location.CLASSPATH;
                                    });
                            if (!config.allowedOrigins().isEmpty()) {
                                c.bundledPlugins.enableCors(
                                        cors ->
                                                cors.addRule(
                                                        rule -> {
                                                            if (config.allowedOrigins()
                                                                    .contains("*")) {
                                                                rule.anyHost();
                                                            } else {
                                                                config.allowedOrigins()
                                                                        .forEach(rule::allowHost);
                                                            }
                                                            rule.exposeHeader("Retry-After");
                                                            // One preflight per 10 minutes, not
                                                            // one per run.
                                                            rule.maxAge = 600;
                                                        }));
                            }
                            api.register(c.routes);
                            pages.register(c.routes);
                            c.routes.get("/healthz", ctx -> ctx.json(health(sessions)));
                            c.routes.get(
                                    "/metrics",
                                    ctx ->
                                            ctx.contentType(
                                                            "text/plain; version=0.0.4; charset=utf-8")
                                                    .result(metrics.scrape()));
                            c.routes.exception(
                                    LivepostException.class,
                                    (e, ctx) -> {
                                        if (e.retryAfterSeconds() > 0) {
                                            ctx.header(
                                                    "Retry-After",
                                                    String.valueOf(e.retryAfterSeconds()));
                                        }
                                        error(ctx, e.status(), e.code(), e.getMessage());
                                    });
                            c.routes.exception(
                                    Exception.class,
                                    (e, ctx) -> {
                                        log.error("{} {} failed", ctx.method(), ctx.path(), e);
                                        error(
                                                ctx,
                                                500,
                                                "internal_error",
                                                "Something went wrong on the server.");
                                    });
                        });
    }

    /** Starts listening; returns the bound port (useful with port 0). */
    public int start() {
        app.start();
        return app.port();
    }

    private Map<String, Object> health(Sessions sessions) {
        var h = sessions.executor().health();
        var out = new LinkedHashMap<String, Object>();
        out.put("status", "ok");
        out.put("executor", sessions.executor().name());
        out.put("executorAvailable", h.available());
        out.put("executorDetail", h.detail());
        out.put("sessions", sessions.size());
        return out;
    }

    static void error(Context ctx, int status, String code, String message) {
        ctx.status(status).json(Map.of("error", Map.of("code", code, "message", message)));
    }

    @Override
    public void close() {
        app.stop();
        heartbeats.shutdownNow();
    }
}
