package dev.livepost.exec;

import java.util.HashMap;
import java.util.Map;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.safety.Safelist;

/**
 * Cleans {@code text/html} of rich values (a DataFrame's table) before it reaches a page: tables
 * (with {@code colspan}, {@code rowspan}, {@code scope}) and basic text formatting survive;
 * scripts, styles, event handlers, links to other places and the {@code class}, {@code id} and
 * {@code style} attributes (with which output could dress up as the page's own notice and error
 * boxes) do not. The result is not pretty-printed, so it is never larger than needed.
 */
public final class HtmlSanitizer {
    private static final Safelist SAFELIST =
            Safelist.relaxed()
                    .removeTags("img", "a")
                    .addAttributes("th", "colspan", "rowspan", "scope")
                    .addAttributes("td", "colspan", "rowspan");

    private static final Document.OutputSettings OUTPUT =
            new Document.OutputSettings().prettyPrint(false);

    private HtmlSanitizer() {}

    public static String clean(String html) {
        return Jsoup.clean(html, "", SAFELIST, OUTPUT);
    }

    /** A copy of a display bundle with its {@code text/html} cleaned; other types are text. */
    public static Map<String, String> cleanBundle(Map<String, String> mime) {
        var out = new HashMap<String, String>();
        mime.forEach(
                (type, value) -> {
                    if (type.equals("text/html")) {
                        out.put(type, clean(value));
                    } else if (type.equals("text/plain")
                            || type.equals("text/markdown")
                            || type.equals("application/json")) {
                        out.put(type, value);
                    }
                });
        return out;
    }
}
