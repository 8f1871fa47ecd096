package dev.livepost.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.Limits;
import dev.livepost.LivepostException;
import dev.livepost.blog.Artifact;
import dev.livepost.blog.Blog;
import dev.livepost.exec.FileNames;
import dev.livepost.exec.Run;
import dev.livepost.exec.SessionSpec;
import dev.livepost.exec.Sessions;
import dev.livepost.exec.StoredFile;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** The session API of interfaces.md section 4: create, run (SSE), interrupt, delete, files. */
final class ApiRoutes {
    private static final long HEARTBEAT_SECONDS = 5;

    private final Blog blog;
    private final Sessions sessions;
    private final ObjectMapper json;
    private final ScheduledExecutorService heartbeats;
    private final RateLimiter newSessions;
    private final RateLimiter runs;

    ApiRoutes(
            Limits limits,
            Blog blog,
            Sessions sessions,
            ObjectMapper json,
            ScheduledExecutorService heartbeats) {
        this.newSessions =
                new RateLimiter("new sessions", limits.sessionsPerMinute(), System::nanoTime);
        this.runs = new RateLimiter("runs", limits.runsPerMinute(), System::nanoTime);
        this.blog = blog;
        this.sessions = sessions;
        this.json = json;
        this.heartbeats = heartbeats;
    }

    void register(RoutesConfig routes) {
        routes.post("/api/sessions", this::create);
        routes.post("/api/sessions/{token}/runs", this::run);
        routes.post("/api/sessions/{token}/interrupt", this::interrupt);
        routes.delete("/api/sessions/{token}", this::delete);
        routes.get("/api/sessions/{token}/files/{fileId}", this::file);
    }

    private void create(Context ctx) {
        newSessions.acquire(ctx.ip());
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
                        ctx.ip());
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
        boolean prompt = sessions.spec(token).prompt();
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
        String accept = ctx.header("Accept");
        if (accept == null || !accept.contains("text/event-stream")) {
            throw new LivepostException(
                    406,
                    "not_acceptable",
                    "Runs stream as Server-Sent Events: send Accept: text/event-stream.");
        }
        runs.acquire(ctx.ip());
        try (Run run = sessions.start(token, source)) {
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
                            run::interrupt);
            ScheduledFuture<?> heartbeat =
                    heartbeats.scheduleAtFixedRate(
                            stream::heartbeat,
                            HEARTBEAT_SECONDS,
                            HEARTBEAT_SECONDS,
                            TimeUnit.SECONDS);
            try {
                run.stream(stream);
            } finally {
                heartbeat.cancel(false);
            }
        }
    }

    private void interrupt(Context ctx) {
        sessions.interrupt(ctx.pathParam("token"));
        ctx.status(202).json(Map.of("status", "interrupting"));
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

    private JsonNode body(Context ctx) {
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

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }
}
