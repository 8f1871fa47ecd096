package dev.livepost.exec;

import java.util.Locale;
import java.util.Map;

/** Turns names chosen by untrusted code into safe download names, and guesses MIME types. */
public final class FileNames {
    private static final int MAX_LENGTH = 120;
    private static final Map<String, String> MIME_BY_EXTENSION =
            Map.ofEntries(
                    Map.entry("png", "image/png"),
                    Map.entry("jpg", "image/jpeg"),
                    Map.entry("jpeg", "image/jpeg"),
                    Map.entry("gif", "image/gif"),
                    Map.entry("webp", "image/webp"),
                    Map.entry("svg", "image/svg+xml"),
                    Map.entry("pdf", "application/pdf"),
                    Map.entry("csv", "text/csv"),
                    Map.entry("txt", "text/plain"),
                    Map.entry("md", "text/markdown"),
                    Map.entry("json", "application/json"),
                    Map.entry("html", "text/html"),
                    Map.entry("xml", "application/xml"),
                    Map.entry("zip", "application/zip"),
                    Map.entry(
                            "xlsx",
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                    Map.entry(
                            "docx",
                            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                    Map.entry(
                            "pptx",
                            "application/vnd.openxmlformats-officedocument.presentationml.presentation"));

    private FileNames() {}

    /**
     * The last path segment, safe to show in a notice, an event or a download header: invisible
     * characters (controls, newlines, bidi controls such as U+202E, zero-width marks) are dropped,
     * anything else but ASCII letters, digits and {@code . _ -} (markup, quotes, spaces, other
     * scripts) becomes {@code _}; no leading dot and at most 120 characters; never empty.
     */
    public static String sanitize(String name) {
        String base = name == null ? "" : name;
        int slash = Math.max(base.lastIndexOf('/'), base.lastIndexOf('\\'));
        base = base.substring(slash + 1);
        var out = new StringBuilder();
        base.codePoints()
                .filter(c -> !invisible(c))
                .forEach(
                        c ->
                                out.append(
                                        (c < 128
                                                        && (Character.isLetterOrDigit(c)
                                                                || c == '.'
                                                                || c == '_'
                                                                || c == '-'))
                                                ? (char) c
                                                : '_'));
        String s = out.toString().replaceFirst("^[.]+", "");
        if (s.length() > MAX_LENGTH) {
            int dot = s.lastIndexOf('.');
            String ext = dot > 0 && s.length() - dot <= 10 ? s.substring(dot) : "";
            s = s.substring(0, MAX_LENGTH - ext.length()) + ext;
        }
        return s.isEmpty() ? "file" : s;
    }

    /** Characters that show nothing or reorder what follows: they could disguise a name. */
    private static boolean invisible(int c) {
        int type = Character.getType(c);
        return type == Character.CONTROL
                || type == Character.FORMAT // bidi controls U+202A-E, U+2066-9, U+200E/F, ZWJ
                || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR
                || type == Character.UNASSIGNED
                || type == Character.SURROGATE;
    }

    /** The MIME type for a file name's extension, {@code application/octet-stream} if unknown. */
    public static String mimeOf(String name) {
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        return MIME_BY_EXTENSION.getOrDefault(ext, "application/octet-stream");
    }

    /** Types a browser may show inline; everything else is served as an attachment. */
    public static boolean isInlineImage(String mime) {
        return mime.equals("image/png")
                || mime.equals("image/jpeg")
                || mime.equals("image/gif")
                || mime.equals("image/webp")
                || mime.equals("image/svg+xml");
    }
}
