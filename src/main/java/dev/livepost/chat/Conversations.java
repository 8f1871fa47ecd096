package dev.livepost.chat;

import dev.livepost.Config;
import dev.livepost.LivepostException;
import dev.livepost.exec.EventSink;
import dev.livepost.exec.Run;
import dev.livepost.exec.SessionSpec;
import dev.livepost.exec.Sessions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The conversations of the {@code /chat} page. Each is a session of {@link Sessions} (its token is
 * the conversation's id), so it shares the sessions' idle expiry, per-client cap, output limits,
 * files and one-run-at-a-time rule; what this class adds are the conversation's own limits
 * (messages, length) and its answers. A conversation whose session is gone is forgotten here too,
 * at its next use or the next new conversation. Thread-safe.
 */
public final class Conversations {
    private final Sessions sessions;
    private final Config.Chat settings;
    private final Duration idle;
    private final Map<String, Conversation> byToken = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    /** What a reader gets back for a new conversation. */
    public record Created(String conversation, Instant expiresAt) {}

    /** A message's run, with the sink that turns its events into an answer. */
    public record Turn(Run run, Conversation conversation, String question) {
        /** The events of the run as an answer, to {@code out}. */
        public EventSink answerTo(AnswerSink out) {
            return new AnswerStream(conversation, question, out);
        }
    }

    /**
     * @param idle how long an unused conversation lives (its session's idle expiry)
     */
    public Conversations(Sessions sessions, Config.Chat settings, Duration idle) {
        this.sessions = sessions;
        this.settings = settings;
        this.idle = idle;
    }

    /** Whether the server runs an executor that can talk to Claude (the header links the page). */
    public boolean offered() {
        return sessions.executor().supportsPrompts();
    }

    /** Whether conversations can be held now: {@link #offered} and the executor can run code. */
    public boolean available() {
        return offered() && sessions.executor().health().available();
    }

    public Config.Chat settings() {
        return settings;
    }

    /** How long an unused conversation lives. */
    public Duration idle() {
        return idle;
    }

    /**
     * Opens a conversation for {@code client}.
     *
     * @throws LivepostException 503 {@code chat_unavailable} without the anthropic executor, or as
     *     {@link Sessions#create} does
     */
    public Created create(String client) {
        if (offered() && !available()) {
            throw LivepostException.unavailable(sessions.executor().health().detail());
        }
        if (!available()) {
            throw new LivepostException(
                    503,
                    "chat_unavailable",
                    "Chat needs the anthropic executor: start the server with --executor anthropic"
                            + " (or LIVEPOST_EXECUTOR=anthropic) and ANTHROPIC_API_KEY set; this"
                            + " server runs the "
                            + sessions.executor().name()
                            + " executor.");
        }
        forgetEnded();
        var created = sessions.create(SessionSpec.chat(settings.skills()), List.of(), null, client);
        byte[] b = new byte[2];
        random.nextBytes(b);
        var c = new Conversation(created.session(), client, "c" + HexFormat.of().formatHex(b));
        byToken.put(c.token(), c);
        return new Created(c.token(), created.expiresAt());
    }

    /**
     * Starts Claude's answer to the reader's {@code message}: checks the conversation's limits and
     * takes its run slot. The caller streams the run through {@link Turn#answerTo}.
     *
     * @throws LivepostException 404 unknown or expired, 400 an empty message, 409 a limit reached
     *     or an answer in progress, 413 too long a message
     */
    public Turn message(String token, String message) {
        Conversation c = require(token);
        if (message == null || message.isBlank()) {
            throw LivepostException.badRequest(
                    "missing_message", "Give the message as {\"message\":\"...\"}.");
        }
        if (c.messages() >= settings.maxMessages()) {
            throw LivepostException.conflict(
                    "chat_message_limit",
                    "This conversation has reached its limit of "
                            + settings.maxMessages()
                            + " messages; start a new conversation.");
        }
        if (c.tokens() >= settings.maxTokens()) {
            throw LivepostException.conflict(
                    "chat_too_long",
                    "This conversation has grown too long for Claude to read again ("
                            + c.tokens()
                            + " tokens, the limit is "
                            + settings.maxTokens()
                            + "); start a new conversation.");
        }
        Run run = sessions.start(token, message);
        c.countMessage();
        return new Turn(run, c, message);
    }

    /**
     * Starts a run of artifact {@code artifactId} of the conversation with the reader's {@code
     * code}, in the conversation's container (see {@link Rerun}).
     *
     * @throws LivepostException 404 unknown conversation or artifact, and as {@link Sessions#start}
     */
    public Run rerun(String token, String artifactId, String code) {
        Conversation c = require(token);
        ChatArtifact a =
                c.artifact(artifactId)
                        .orElseThrow(
                                () ->
                                        LivepostException.notFound(
                                                "artifact_not_found",
                                                "This conversation has no artifact "
                                                        + artifactId
                                                        + "."));
        return sessions.start(token, Rerun.source(a, code), true);
    }

    /**
     * Answer {@code index} (0-based) as Markdown for a post.
     *
     * @throws LivepostException 404 unknown conversation or answer
     */
    public String snippet(String token, int index) {
        Conversation c = require(token);
        List<Answer> answers = c.answers();
        if (index < 0 || index >= answers.size()) {
            throw LivepostException.notFound(
                    "answer_not_found", "This conversation has no answer " + (index + 1) + ".");
        }
        return Snippet.of(answers, index, c.snippetPrefix());
    }

    /** Ends a conversation now: its session, container and files go. */
    public void delete(String token) {
        require(token);
        byToken.remove(token);
        sessions.delete(token);
    }

    /** The conversation, if its session still lives. */
    public Conversation require(String token) {
        Conversation c = token == null ? null : byToken.get(token);
        if (c == null || !alive(token)) {
            if (c != null) {
                byToken.remove(token);
            }
            throw LivepostException.notFound(
                    "conversation_not_found",
                    "This conversation has ended (conversations are forgotten after "
                            + idle.toMinutes()
                            + " minutes without a message); start a new one.");
        }
        return c;
    }

    public int size() {
        return byToken.size();
    }

    private boolean alive(String token) {
        try {
            sessions.spec(token);
            return true;
        } catch (LivepostException e) {
            return false;
        }
    }

    private void forgetEnded() {
        byToken.keySet().removeIf(t -> !alive(t));
    }
}
