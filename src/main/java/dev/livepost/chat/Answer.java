package dev.livepost.chat;

import java.util.List;

/**
 * One answer of Claude's in a conversation: what it said and the code it ran, in order. Immutable.
 *
 * @param question the reader's message it answers
 * @param parts the answer's text (Markdown) and artifacts in the order they came
 */
public record Answer(String question, List<Part> parts) {
    public Answer {
        parts = List.copyOf(parts);
    }

    /** A piece of an answer. */
    public sealed interface Part {
        /** Markdown, as Claude wrote it. */
        record Text(String markdown) implements Part {}

        record Code(ChatArtifact artifact) implements Part {}
    }

    /** The artifacts of the answer, in order. */
    public List<ChatArtifact> artifacts() {
        return parts.stream()
                .filter(p -> p instanceof Part.Code)
                .map(p -> ((Part.Code) p).artifact())
                .toList();
    }
}
