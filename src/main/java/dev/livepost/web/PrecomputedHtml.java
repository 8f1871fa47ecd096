package dev.livepost.web;

import dev.livepost.exec.FileNames;
import dev.livepost.exec.HtmlSanitizer;
import dev.livepost.precompute.Precomputed;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;

/**
 * A precomputed output as server-side HTML, shown under the code with or without JavaScript:
 *
 * <pre>{@code <div class="lp-precomputed" data-precomputed data-status="ok">
 *   <p class="lp-precomputed-caption">Output from <time datetime="...">...</time></p>
 *   <div class="lp-output">...streams, displays, figures, files...</div>
 *   <p class="lp-precomputed-status">...</p>   (only when it did not end ok)
 * </div>}</pre>
 *
 * Output is text wherever it can be: streams, notices and file names are escaped, a display's HTML
 * is sanitized again here (the stored copy was sanitized when the run made it, but what comes from
 * the sandbox is never trusted), and images of displays are {@code data:} URLs of checked base64.
 * The component hides the element when the reader runs the code. Stateless and thread-safe.
 */
public final class PrecomputedHtml {
    private static final DateTimeFormatter SHOWN =
            DateTimeFormatter.ofPattern("d MMMM yyyy, HH:mm 'UTC'", Locale.ENGLISH)
                    .withZone(ZoneOffset.UTC);

    private PrecomputedHtml() {}

    /**
     * @param p the output
     * @param filesBase where the store's files are served, up to and including the slash before the
     *     key, e.g. {@code /precomputed/}
     */
    public static String of(Precomputed p, String filesBase) {
        var html = new StringBuilder(256);
        html.append("<div class=\"lp-precomputed\" data-precomputed data-status=\"")
                .append(escape(p.status()))
                .append("\">\n<p class=\"lp-precomputed-caption\">")
                .append(Precomputed.FAILED.equals(p.status()) ? "Tried" : "Output")
                .append(" from <time datetime=\"")
                .append(DateTimeFormatter.ISO_INSTANT.format(p.createdAt()))
                .append("\">")
                .append(SHOWN.format(p.createdAt()))
                .append("</time></p>\n");
        if (!p.items().isEmpty()) {
            html.append("<div class=\"lp-output\">");
            for (Precomputed.Item item : p.items()) {
                item(html, p.key(), item, filesBase);
            }
            html.append("</div>\n");
        }
        String status = status(p);
        if (status != null) {
            html.append("<p class=\"lp-precomputed-status\" role=\"note\">")
                    .append(escape(status))
                    .append("</p>\n");
        }
        return html.append("</div>\n").toString();
    }

    /** What a reader should know when the run did not end well; null when it did. */
    private static String status(Precomputed p) {
        return switch (p.status()) {
            case "ok" -> null;
            case "error" -> "The code ended with an error.";
            case "timeout" -> "The code ran out of time and was stopped.";
            case "interrupted" -> "The run was stopped before it ended.";
            case "killed" ->
                    "The sandbox was killed (out of memory or time); the output stops there.";
            case Precomputed.FAILED -> "This output could not be precomputed: " + p.message();
            default -> "The run ended with status " + p.status() + ".";
        };
    }

    private static void item(StringBuilder html, String key, Precomputed.Item i, String base) {
        switch (i.kind()) {
            case "stdout", "stderr" ->
                    html.append("<pre class=\"lp-stream lp-")
                            .append(i.kind())
                            .append("\">")
                            .append(escape(i.text()))
                            .append("</pre>");
            case "text" ->
                    html.append("<div class=\"lp-text\">")
                            .append(escape(i.text()))
                            .append("</div>");
            case "code" ->
                    html.append("<figure class=\"lp-code\"><figcaption class=\"lp-code-caption\">")
                            .append("Code run (")
                            .append(escape(i.language()))
                            .append(")</figcaption><pre><code>")
                            .append(escape(i.text()))
                            .append("</code></pre></figure>");
            case "notice" ->
                    html.append("<div class=\"lp-message lp-notice\" role=\"note\">")
                            .append("<strong class=\"lp-message-label\">Notice: </strong>")
                            .append(escape(i.text()))
                            .append("</div>");
            case "display" -> display(html, i.mime());
            case "file" -> file(html, key, i, base);
            default -> {
                // A kind this version does not know: left out rather than guessed at.
            }
        }
    }

    private static void display(StringBuilder html, Map<String, String> mime) {
        html.append("<div class=\"lp-display");
        String rich = mime.get("text/html");
        String png = mime.get("image/png");
        if (rich != null) {
            html.append(" lp-display-html\">").append(HtmlSanitizer.clean(rich));
        } else if (png != null) {
            html.append(
                            "\"><img class=\"lp-image\" alt=\"image output\" src=\"data:image/png;base64,")
                    .append(png.replaceAll("[^A-Za-z0-9+/=]", ""))
                    .append("\">");
        } else {
            html.append("\"><pre class=\"lp-stream lp-stdout\">")
                    .append(escape(mime.getOrDefault("text/plain", "")))
                    .append("</pre>");
        }
        html.append("</div>");
    }

    private static void file(StringBuilder html, String key, Precomputed.Item f, String base) {
        String url = escape(base + key + "/" + f.file());
        String name = escape(f.name());
        html.append("<div class=\"lp-file\">");
        if (FileNames.isInlineImage(f.type())) {
            html.append("<img class=\"lp-image\" loading=\"lazy\" src=\"")
                    .append(url)
                    .append("\" alt=\"")
                    .append(name)
                    .append("\">");
        }
        html.append("<div class=\"lp-file-line\"><a class=\"lp-file-link\" href=\"")
                .append(url)
                .append("\" download=\"")
                .append(name)
                .append("\">")
                .append(name)
                .append("</a> <span class=\"lp-file-size\">(")
                .append(size(f.size()))
                .append(")</span></div></div>");
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double v = bytes / 1024.0;
        String[] units = {"KB", "MB", "GB"};
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (v >= 10 ? String.valueOf(Math.round(v)) : String.format(Locale.ROOT, "%.1f", v))
                + " "
                + units[u];
    }

    static String escape(String s) {
        if (s == null) {
            return "";
        }
        var out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
