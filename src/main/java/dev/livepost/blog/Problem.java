package dev.livepost.blog;

import java.nio.file.Path;

/**
 * Something wrong in a post that its author should fix: a malformed directive, bad front matter.
 * Logged at startup (and on reload) as {@code FILE:LINE: message}.
 *
 * @param file the post's file
 * @param line 1-based line in the file, 0 when it concerns the whole file
 * @param message what is wrong, for the author
 */
public record Problem(Path file, int line, String message) {
    @Override
    public String toString() {
        return file + ":" + line + ": " + message;
    }
}
