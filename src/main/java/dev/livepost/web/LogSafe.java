package dev.livepost.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps secrets out of log lines: a session token is the only key to a reader's state, so logs name
 * it by a short hash ({@code #} and the first 8 hex digits of its SHA-256), enough to follow one
 * session through the log and useless to reach it.
 */
final class LogSafe {
    private static final Pattern SESSION_PATH =
            Pattern.compile("(/api/(?:sessions|chat)/)([^/?#\\s]+)");

    private LogSafe() {}

    /** {@code #} and the first 8 hex digits of the token's SHA-256. */
    static String token(String token) {
        try {
            byte[] sha =
                    MessageDigest.getInstance("SHA-256")
                            .digest(token.getBytes(StandardCharsets.UTF_8));
            return "#" + HexFormat.of().formatHex(sha, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * Text (a path, a URI, a message) with every {@code /api/sessions/TOKEN} and {@code
     * /api/chat/TOKEN} masked.
     */
    static String mask(String text) {
        if (text == null) {
            return null;
        }
        Matcher m = SESSION_PATH.matcher(text);
        var out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + token(m.group(2))));
        }
        m.appendTail(out);
        return out.toString();
    }
}
