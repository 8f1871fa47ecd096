package dev.livepost.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.Config;
import dev.livepost.DaemonThreads;
import dev.livepost.LivepostException;
import dev.livepost.blog.Blog;
import dev.livepost.chat.Conversations;
import dev.livepost.exec.Sessions;
import dev.livepost.precompute.OutputStore;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.json.JavalinJackson;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of Livepost: pages, the session API, health and metrics, wired onto one Javalin
 * (Jetty 12) server. Every {@link LivepostException} becomes the contract's JSON error body here.
 */
public final class WebServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebServer.class);
    private static final long IDLE_TIMEOUT_MS = 30_000;

    private final Config config;
    private final Javalin app;
    private final ApiRoutes api;
    private final ScheduledExecutorService heartbeats;
    private final ScheduledExecutorService deadlines;
    private final ReadDeadline readDeadline;
    private final ConnectionsPerClient connectionsPerClient;

    public WebServer(
            Config config,
            Blog blog,
            Sessions sessions,
            PrometheusMeterRegistry metrics,
            ObjectMapper json,
            Pages.Outputs outputs,
            OutputStore store) {
        this.config = config;
        this.heartbeats =
                Executors.newSingleThreadScheduledExecutor(
                        DaemonThreads.named("livepost-sse-heartbeat"));
        var clients = ClientAddress.trusting(config.web().trustedProxies());
        this.deadlines =
                Executors.newSingleThreadScheduledExecutor(
                        DaemonThreads.named("livepost-read-deadline"));
        this.readDeadline = new ReadDeadline(config.web().requestReadTimeout(), deadlines);
        this.connectionsPerClient =
                new ConnectionsPerClient(config.web().connectionsPerClient(), clients);
        this.api =
                new ApiRoutes(
                        config.limits(),
                        blog,
                        sessions,
                        json,
                        heartbeats,
                        clients,
                        new CrossSite(config.allowedOrigins(), clients),
                        new InFlight(config.web().maxRequestsPerClient()));
        var conversations = new Conversations(sessions, config.chat(), config.sessionIdle());
        var pageViews = new Pages(blog, outputs, conversations.offered());
        var pages = new PageRoutes(config, pageViews, store);
        var chat =
                new ChatRoutes(
                        conversations,
                        api,
                        pageViews,
                        clients,
                        config.limits().sessionsPerMinute());
        var assets = new AssetRoutes(Assets.standard());
        this.app =
                Javalin.create(
                        c -> {
                            c.startup.showJavalinBanner = false;
                            c.startup.showOldJavalinVersionWarning = false;
                            c.jsonMapper(new JavalinJackson(json, false));
                            c.jetty.host = config.host();
                            c.jetty.port = config.port();
                            c.jetty.addConnector(this::connector);
                            c.jetty.modifyServer(
                                    server ->
                                            server.addBean(
                                                    new NetworkConnectionLimit(
                                                            config.web().maxConnections(),
                                                            server)));
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
                            c.routes.before(readDeadline::watchBody);
                            api.register(c.routes);
                            chat.register(c.routes);
                            assets.register(c.routes);
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
                                        countRefusal(metrics, e);
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
                                        logFailure(ctx, e);
                                        error(
                                                ctx,
                                                500,
                                                "internal_error",
                                                "Something went wrong on the server.");
                                    });
                        });
    }

    /**
     * Refusals by the web layer's own rate limits (new sessions, runs, requests in flight);
     * admission counts its own (client cap, busy, queue full) where it decides them.
     */
    private static void countRefusal(MeterRegistry metrics, LivepostException e) {
        if (e.code().equals("rate_limited")) {
            metrics.counter("livepost_refusals_total", "reason", "rate").increment();
        }
    }

    /**
     * The one listening connector: a connection that sends nothing for {@link #IDLE_TIMEOUT_MS} is
     * closed, one that trickles a request head or body is closed at the read deadline, and each
     * client address holds a bounded number of connections.
     */
    private Connector connector(Server server, HttpConfiguration http) {
        var connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(IDLE_TIMEOUT_MS);
        connector.addEventListener(connectionsPerClient);
        connector.addEventListener(readDeadline);
        return connector;
    }

    /**
     * A client that went away is normal: one line, no stack trace. Anything else is logged with its
     * trace; session tokens in the path or the message are masked either way.
     */
    private static void logFailure(Context ctx, Exception e) {
        String path = LogSafe.mask(ctx.path());
        if (clientGone(e)) {
            log.info(
                    "{} {}: client went away ({})",
                    ctx.method(),
                    path,
                    e.getClass().getSimpleName());
        } else {
            log.error(
                    "{} {} failed: {}",
                    ctx.method(),
                    path,
                    LogSafe.mask(String.valueOf(e.getMessage())),
                    new MaskedException(e));
        }
    }

    private static boolean clientGone(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof EofException
                    || t instanceof TimeoutException
                    || t instanceof java.nio.channels.ClosedChannelException
                    || t instanceof java.io.InterruptedIOException) {
                return true;
            }
        }
        return false;
    }

    /** Starts listening; returns the bound port (useful with port 0). */
    public int start() {
        app.start();
        return app.port();
    }

    /**
     * Closes the listening socket: new connections are refused (a proxy in front answers 502 or
     * tries another upstream), while open ones, and the event streams on them, go on until {@link
     * #close}. Non-blocking; idempotent.
     */
    public void stopAccepting() {
        for (Connector c : app.jettyServer().server().getConnectors()) {
            if (c instanceof NetworkConnector n) {
                try {
                    n.close();
                } catch (RuntimeException e) {
                    log.warn("closing the listening socket failed", e);
                }
            }
        }
    }

    private Map<String, Object> health(Sessions sessions) {
        var h = sessions.executor().health();
        var out = new LinkedHashMap<String, Object>();
        out.put("status", "ok");
        out.put("executor", sessions.executor().name());
        out.put("executorAvailable", h.available());
        out.put("executorDetail", h.detail());
        out.putAll(h.facts());
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
        deadlines.shutdownNow();
    }
}
