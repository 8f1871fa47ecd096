package dev.livepost.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.Limits;
import dev.livepost.LivepostException;
import dev.livepost.blog.Artifact;
import dev.livepost.blog.Blog;
import dev.livepost.exec.EventSink;
import dev.livepost.exec.FileNames;
import dev.livepost.exec.Run;
import dev.livepost.exec.SessionSpec;
import dev.livepost.exec.Sessions;
import dev.livepost.exec.StoredFile;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The session API of interfaces.md section 4: create, run (SSE), interrupt, delete, files. */
final class ApiRoutes {
    private static final Logger log = LoggerFactory.getLogger(ApiRoutes.class);
    private static final long HEARTBEAT_SECONDS = 5;

    private final Blog blog;
    private final Sessions sessions;
    private final ObjectMapper json;
    private final ScheduledExecutorService heartbeats;
    private final RateLimiter newSessions;
    private final RateLimiter runs;
    private final ClientAddress clients;
    private final CrossSite crossSite;
    private final InFlight inFlight;

    ApiRoutes(
            Limits limits,
            Blog blog,
            Sessions sessions,
            ObjectMapper json,
            ScheduledExecutorService heartbeats,
            ClientAddress clients,
            CrossSite crossSite,
            InFlight inFlight) {
        this.newSessions =
                new RateLimiter("new sessions", limits.sessionsPerMinute(), System::nanoTime);
        this.runs = new RateLimiter("runs", limits.runsPerMinute(), System::nanoTime);
        this.blog = blog;
        this.sessions = sessions;
        this.json = json;
        this.heartbeats = heartbeats;
        this.clients = clients;
        this.crossSite = crossSite;
        this.inFlight = inFlight;
    }

    void register(RoutesConfig routes) {
        routes.post("/api/sessions", guarded(Body.JSON, this::create));
        routes.post("/api/sessions/{token}/runs", guarded(Body.JSON, this::run));
        routes.post("/api/sessions/{token}/interrupt", guarded(Body.JSON, this::interrupt));
        routes.post("/api/sessions/{token}/stdin", guarded(Body.JSON, this::stdin));
        routes.delete("/api/sessions/{token}", guarded(Body.NONE, this::delete));
        routes.get("/api/sessions/{token}/files/{fileId}", guarded(Body.READ_ONLY, this::file));
    }

    enum Body {
        /** Changes state and carries JSON: JSON only, same site or an allowed origin. */
        JSON,
        /** Changes state without a body: same site or an allowed origin. */
        NONE,
        /** Changes nothing (a {@code GET}): only counted. */
        READ_ONLY
    }

    /**
     * The checks every API request passes before its handler reads anything: cross-site rules for
     * state changes, then a slot among its client's requests in flight, held until the handler (for
     * a run: its whole event stream) ends.
     */
    Handler guarded(Body body, Handler handler) {
        return ctx -> {
            if (body != Body.READ_ONLY) {
                crossSite.checkOrigin(ctx);
            }
            if (body == Body.JSON) {
                crossSite.requireJson(ctx);
            }
            InFlight.Slot slot = inFlight.acquire(clients.of(ctx));
            try {
                handler.handle(ctx);
            } finally {
                slot.close();
            }
        };
    }

    private void create(Context ctx) {
        newSessions.acquire(clients.of(ctx));
        String address = text(body(ctx), "artifact");
        if (address == null || !address.contains("/")) {
            throw LivepostException.badRequest(
                    "invalid_artifact", "Give the artifact as {\"artifact\":\"SLUG/ID\"}.");
        }
        Artifact a =
                blog.artifact(address)
                        .orElseThrow(
                                () ->
                                        LivepostException.notFound(
                                                "artifact_not_found",
                                                "No artifact " + address + "."));
        var spec = new SessionSpec(a.address(), a.lang(), a.prompt(), a.skills());
        var created =
                sessions.create(
                        spec,
                        blog.setupChain(a).stream().map(Artifact::code).toList(),
                        a.timeoutSeconds() == null ? null : Duration.ofSeconds(a.timeoutSeconds()),
                        clients.of(ctx));
        ctx.status(201)
                .json(
                        Map.of(
                                "session",
                                created.session(),
                                "expiresAt",
                                created.expiresAt().toString()));
    }

    private void run(Context ctx) throws Exception {
        String token = ctx.pathParam("token");
        var spec = sessions.spec(token);
        if (spec.conversation()) {
            throw LivepostException.badRequest(
                    "conversation_session",
                    "This session is a chat conversation: send messages to"
                            + " /api/chat/{id}/messages and runs of its artifacts to"
                            + " /api/chat/{id}/artifacts/{artifact}/runs.");
        }
        boolean prompt = spec.prompt();
        JsonNode body = body(ctx);
        String source = text(body, prompt ? "prompt" : "code");
        if (source == null) {
            // Accept either field so a client that only knows one still gets a clear answer.
            source = text(body, prompt ? "code" : "prompt");
        }
        if (source == null) {
            throw LivepostException.badRequest(
                    "missing_code",
                    prompt
                            ? "Give the request as {\"prompt\":\"...\"}."
                            : "Give the code as {\"code\":\"...\"}.");
        }
        requireEventStream(ctx);
        countRun(ctx);
        try (Run run = sessions.start(token, source)) {
            stream(ctx, run, stream -> stream);
        }
    }

    /**
     * Counts a run against its client's runs a minute.
     *
     * @throws LivepostException 429 past them
     */
    void countRun(Context ctx) {
        runs.acquire(clients.of(ctx));
    }

    /** Runs stream as Server-Sent Events: a request that does not accept them gets 406. */
    static void requireEventStream(Context ctx) {
        String accept = ctx.header("Accept");
        if (accept == null || !accept.contains("text/event-stream")) {
            throw new LivepostException(
                    406,
                    "not_acceptable",
                    "Runs stream as Server-Sent Events: send Accept: text/event-stream.");
        }
    }

    /**
     * Streams {@code run}'s events as the response, through {@code wrap} (which may turn them into
     * other events), with heartbeats; a client that goes away interrupts the run. Blocks until the
     * run ended.
     */
    void stream(Context ctx, Run run, Function<EventStream, EventSink> wrap) throws IOException {
        String token = run.session();
        ctx.status(200);
        ctx.contentType("text/event-stream; charset=utf-8");
        ctx.header("Cache-Control", "no-cache");
        ctx.header("X-Accel-Buffering", "no"); // a proxy in front must not hold events back
        // A closed tab stops its run; the session and its state stay.
        var stream =
                new EventStream(
                        ctx.res().getOutputStream(),
                        json,
                        "/api/sessions/" + token + "/files/",
                        () -> {
                            log.info(
                                    "run in session {}: client went away, stopping it",
                                    LogSafe.token(token));
                            run.interrupt();
                        });
        ScheduledFuture<?> heartbeat =
                heartbeats.scheduleAtFixedRate(
                        stream::heartbeat, HEARTBEAT_SECONDS, HEARTBEAT_SECONDS, TimeUnit.SECONDS);
        try {
            run.stream(wrap.apply(stream));
        } finally {
            heartbeat.cancel(false);
        }
    }

    private void interrupt(Context ctx) {
        sessions.interrupt(ctx.pathParam("token"));
        ctx.status(202).json(Map.of("status", "interrupting"));
    }

    /**
     * Standard input for the running code: {@code {"text":"..."}}, {@code {"eof":true}} or both
     * (the text first). 202 once handed over; 409 when no run is in progress, 413 past the per-run
     * cap, 400 for a malformed body or a session whose code has no standard input.
     */
    private void stdin(Context ctx) {
        JsonNode body = body(ctx);
        JsonNode textNode = body.get("text");
        JsonNode eofNode = body.get("eof");
        if ((textNode != null && !textNode.isTextual())
                || (eofNode != null && !eofNode.isBoolean())
                || (textNode == null && (eofNode == null || !eofNode.asBoolean()))) {
            throw LivepostException.badRequest(
                    "invalid_stdin",
                    "Give standard input as {\"text\":\"...\"}, or end it with {\"eof\":true}.");
        }
        String text = textNode == null ? "" : textNode.asText();
        boolean eof = eofNode != null && eofNode.asBoolean();
        switch (sessions.stdin(ctx.pathParam("token"), text, eof)) {
            case SENT -> ctx.status(202).json(Map.of("status", "sent"));
            case NO_RUN ->
                    throw LivepostException.conflict(
                            "no_run", "No run is in progress in this session to read the input.");
            case OVER_LIMIT ->
                    throw new LivepostException(
                            413,
                            "stdin_too_large",
                            "A run takes at most "
                                    + Sessions.STDIN_BYTES_PER_RUN
                                    + " bytes of standard input.");
            case UNSUPPORTED ->
                    throw LivepostException.badRequest(
                            "stdin_unsupported",
                            sessions.spec(ctx.pathParam("token")).prompt()
                                    ? "A prompt artifact has no standard input: Claude writes and"
                                            + " runs the code."
                                    : "The "
                                            + sessions.executor().name()
                                            + " executor cannot pass standard input to running"
                                            + " code.");
        }
    }

    private void delete(Context ctx) {
        sessions.delete(ctx.pathParam("token"));
        ctx.status(204);
    }

    private void file(Context ctx) throws IOException {
        StoredFile f = sessions.file(ctx.pathParam("token"), ctx.pathParam("fileId"));
        ctx.header("X-Content-Type-Options", "nosniff");
        // Even an SVG opened directly runs nothing and loads nothing.
        ctx.header(
                "Content-Security-Policy",
                "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox");
        ctx.header("Cache-Control", "private, max-age=3600");
        String disposition = FileNames.isInlineImage(f.mime()) ? "inline" : "attachment";
        ctx.header("Content-Disposition", disposition + "; filename=\"" + f.name() + "\"");
        ctx.contentType(f.mime());
        InputStream in = Files.newInputStream(f.path());
        ctx.result(in);
    }

    JsonNode body(Context ctx) {
        try {
            JsonNode node = json.readTree(ctx.body());
            if (node == null || !node.isObject()) {
                throw LivepostException.badRequest(
                        "invalid_json", "The request body must be a JSON object.");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw LivepostException.badRequest(
                    "invalid_json",
                    "The request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }
}
