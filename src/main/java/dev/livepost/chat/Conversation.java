package dev.livepost.chat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the server keeps of one conversation beside its session: how many messages the reader sent,
 * how long the conversation has grown, and Claude's answers with their artifacts. Thread-safe (its
 * methods lock the object); lives as long as its session.
 */
public final class Conversation {
    private final String token;
    private final String client;
    private final String snippetPrefix;
    private int messages;
    private long tokens;
    private final Map<String, ChatArtifact> artifacts = new LinkedHashMap<>();
    private final List<Answer> answers = new ArrayList<>();

    Conversation(String token, String client, String snippetPrefix) {
        this.token = token;
        this.client = client;
        this.snippetPrefix = snippetPrefix;
    }

    /** The conversation's session token, which is also its id in the API. */
    public String token() {
        return token;
    }

    String client() {
        return client;
    }

    /**
     * A few random characters that start the ids of this conversation's artifacts in a snippet, so
     * snippets of two conversations pasted into one post do not clash.
     */
    String snippetPrefix() {
        return snippetPrefix;
    }

    public synchronized int messages() {
        return messages;
    }

    /** Tokens Claude's last request read and wrote: the conversation's length so far. */
    public synchronized long tokens() {
        return tokens;
    }

    synchronized void countMessage() {
        messages++;
    }

    synchronized void tokens(long n) {
        tokens = n;
    }

    /** Numbers a new artifact and keeps it, for re-runs. */
    synchronized ChatArtifact newArtifact(
            String language, String code, String path, String command) {
        var a = new ChatArtifact("a" + (artifacts.size() + 1), language, code, path, command);
        artifacts.put(a.id(), a);
        return a;
    }

    public synchronized Optional<ChatArtifact> artifact(String id) {
        return Optional.ofNullable(artifacts.get(id));
    }

    synchronized void addAnswer(Answer answer) {
        answers.add(answer);
    }

    /** Claude's answers so far, oldest first. */
    public synchronized List<Answer> answers() {
        return List.copyOf(answers);
    }
}
