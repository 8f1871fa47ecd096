package dev.livepost.exec;

import java.util.List;

/**
 * What an executor needs to know about the artifact a session belongs to.
 *
 * @param artifact the artifact's address, {@code SLUG/ID}
 * @param language the artifact's language, e.g. {@code python}
 * @param prompt whether runs carry a request to Claude rather than code
 * @param skills document skills for the {@code anthropic} executor, e.g. {@code pdf}
 * @param conversation whether the session is a chat conversation: its runs are the reader's
 *     messages, Claude remembering the earlier ones, or (with {@link RunRequest#code}) code run in
 *     the conversation's sandbox
 */
public record SessionSpec(
        String artifact,
        String language,
        boolean prompt,
        List<String> skills,
        boolean conversation) {
    public SessionSpec {
        skills = List.copyOf(skills);
    }

    public SessionSpec(String artifact, String language, boolean prompt, List<String> skills) {
        this(artifact, language, prompt, skills, false);
    }

    /** A chat conversation with Claude, its container given {@code skills}. */
    public static SessionSpec chat(List<String> skills) {
        return new SessionSpec("chat", "markdown", true, skills, true);
    }
}
