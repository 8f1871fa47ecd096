package dev.livepost.chat;

/**
 * A piece of code Claude ran (or wrote) in a conversation, as the reader sees it: runnable again in
 * the conversation's container. Immutable.
 *
 * @param id the artifact's id in its conversation, {@code a1}, {@code a2}, ...
 * @param language e.g. {@code python}, {@code bash}
 * @param code the file Claude wrote, or the command it ran
 * @param path the file the code was written to, or null
 * @param command the bash command that ran it, or null
 */
public record ChatArtifact(String id, String language, String code, String path, String command) {}
