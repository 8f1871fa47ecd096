package dev.livepost.web;

import dev.livepost.LivepostException;
import dev.livepost.chat.AnswerSink;
import dev.livepost.chat.ChatArtifact;
import dev.livepost.chat.Conversations;
import dev.livepost.exec.Run;
import dev.livepost.exec.RunEvent;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;

/**
 * The {@code /chat} page and its API: a conversation with Claude whose answers stream as text and
 * runnable artifacts (see {@link Conversations}). Requests pass the same cross-site and in-flight
 * checks as the session API. Thread-safe.
 */
final class ChatRoutes {
    private final Conversations conversations;
    private final ApiRoutes api;
    private final Pages pages;
    private final ClientAddress clients;
    private final RateLimiter newConversations;
    private final RateLimiter messages;

    ChatRoutes(
            Conversations conversations,
            ApiRoutes api,
            Pages pages,
            ClientAddress clients,
            int conversationsPerMinute) {
        this.conversations = conversations;
        this.api = api;
        this.pages = pages;
        this.clients = clients;
        this.newConversations =
                new RateLimiter("new conversations", conversationsPerMinute, System::nanoTime);
        this.messages =
                new RateLimiter(
                        "chat messages",
                        conversations.settings().messagesPerMinute(),
                        System::nanoTime);
    }

    void register(RoutesConfig routes) {
        routes.get("/chat", ctx -> ctx.html(pages.chat(conversations.available(), limits())));
        routes.post("/api/chat", api.guarded(ApiRoutes.Body.JSON, this::create));
        routes.post("/api/chat/{id}/messages", api.guarded(ApiRoutes.Body.JSON, this::message));
        routes.post(
                "/api/chat/{id}/artifacts/{artifact}/runs",
                api.guarded(ApiRoutes.Body.JSON, this::rerun));
        routes.get(
                "/api/chat/{id}/answers/{n}/snippet",
                api.guarded(ApiRoutes.Body.READ_ONLY, this::snippet));
        routes.delete("/api/chat/{id}", api.guarded(ApiRoutes.Body.NONE, this::delete));
    }

    /** What the page and a new conversation tell the reader about the limits. */
    private Map<String, Object> limits() {
        var s = conversations.settings();
        return Map.of(
                "messages", s.maxMessages(),
                "tokens", s.maxTokens(),
                "messagesPerMinute", s.messagesPerMinute(),
                "idleMinutes", conversations.idle().toMinutes());
    }

    private void create(Context ctx) {
        api.body(ctx); // a JSON object, possibly empty
        newConversations.acquire(clients.of(ctx));
        var created = conversations.create(clients.of(ctx));
        ctx.status(201)
                .json(
                        Map.of(
                                "conversation", created.conversation(),
                                "expiresAt", created.expiresAt().toString(),
                                "limits", limits()));
    }

    private void message(Context ctx) throws Exception {
        String id = ctx.pathParam("id");
        String message = ApiRoutes.text(api.body(ctx), "message");
        ApiRoutes.requireEventStream(ctx);
        conversations.require(id);
        messages.acquire(clients.of(ctx));
        var turn = conversations.message(id, message);
        try (Run run = turn.run()) {
            api.stream(ctx, run, stream -> turn.answerTo(new AnswerEvents(stream, id)));
        }
    }

    private void rerun(Context ctx) throws Exception {
        String id = ctx.pathParam("id");
        String code = ApiRoutes.text(api.body(ctx), "code");
        if (code == null) {
            throw LivepostException.badRequest(
                    "missing_code", "Give the code as {\"code\":\"...\"}.");
        }
        ApiRoutes.requireEventStream(ctx);
        api.countRun(ctx); // a re-run is a run like a post's: it counts the same way
        try (Run run = conversations.rerun(id, ctx.pathParam("artifact"), code)) {
            api.stream(ctx, run, stream -> stream);
        }
    }

    private void snippet(Context ctx) {
        int n;
        try {
            n = Integer.parseInt(ctx.pathParam("n"));
        } catch (NumberFormatException e) {
            throw LivepostException.badRequest(
                    "invalid_answer", "Name the answer by its number, 1 for the first.");
        }
        ctx.contentType("text/markdown; charset=utf-8")
                .header("Cache-Control", "no-store")
                .result(conversations.snippet(ctx.pathParam("id"), n - 1));
    }

    private void delete(Context ctx) {
        conversations.delete(ctx.pathParam("id"));
        ctx.status(204);
    }

    /** One output event of an artifact, as its run's stream would have sent it. */
    private record Output(String event, Object data) {}

    /** The {@code artifact} event. */
    private record ArtifactEvent(
            String id,
            String language,
            String code,
            String path,
            String command,
            String runs,
            List<Output> output) {}

    /** An answer's events on one event stream. */
    private static final class AnswerEvents implements AnswerSink {
        private final EventStream stream;
        private final String conversation;

        AnswerEvents(EventStream stream, String conversation) {
            this.stream = stream;
            this.conversation = conversation;
        }

        @Override
        public void send(RunEvent event) {
            stream.send(event);
        }

        @Override
        public void artifact(ChatArtifact a, List<RunEvent> output) {
            stream.send(
                    "artifact",
                    new ArtifactEvent(
                            a.id(),
                            a.language(),
                            a.code(),
                            a.path(),
                            a.command(),
                            "/api/chat/" + conversation + "/artifacts/" + a.id() + "/runs",
                            output.stream()
                                    .map(e -> new Output(e.event(), stream.wire(e)))
                                    .toList()));
        }

        @Override
        public void markdown(String html) {
            stream.send("markdown", Map.of("html", html));
        }

        @Override
        public void close() {
            stream.close();
        }
    }
}
