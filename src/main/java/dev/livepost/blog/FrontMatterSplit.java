package dev.livepost.blog;

/**
 * A post's text split into its YAML front matter and its Markdown body. The body keeps the front
 * matter's lines as empty lines, so line numbers in the body are line numbers in the file.
 *
 * @param yaml the lines between the {@code ---} fences
 * @param body the Markdown
 * @param error why the text has no usable front matter, or null
 * @param errorLine the line the error is about
 */
record FrontMatterSplit(String yaml, String body, String error, int errorLine) {

    static FrontMatterSplit of(String text) {
        int lineEnd = lineEnd(text, 0);
        if (!text.substring(0, lineEnd).strip().equals("---")) {
            return failed(
                    "no front matter: a post starts with a '---' line, then title: and"
                            + " date:, then '---'",
                    1);
        }
        int start = next(text, lineEnd);
        int pos = start;
        int line = 2;
        while (pos < text.length()) {
            int end = lineEnd(text, pos);
            String content = text.substring(pos, end).strip();
            if (content.equals("---") || content.equals("...")) {
                String yaml = text.substring(start, pos);
                String body = "\n".repeat(line) + text.substring(next(text, end));
                return new FrontMatterSplit(yaml, body, null, 0);
            }
            pos = next(text, end);
            line++;
        }
        return failed("the front matter is never closed with a '---' line", 1);
    }

    private static FrontMatterSplit failed(String error, int line) {
        return new FrontMatterSplit("", "", error, line);
    }

    /** Index of the line break (or end of text) of the line starting at {@code from}. */
    private static int lineEnd(String text, int from) {
        int i = from;
        while (i < text.length() && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
            i++;
        }
        return i;
    }

    /** Index of the next line's start after a line ending at {@code end}. */
    private static int next(String text, int end) {
        if (end < text.length() && text.charAt(end) == '\r') {
            end++;
            if (end < text.length() && text.charAt(end) == '\n') {
                end++;
            }
            return end;
        }
        return Math.min(text.length(), end + 1);
    }
}
