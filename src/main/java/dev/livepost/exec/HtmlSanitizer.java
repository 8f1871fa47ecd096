package dev.livepost.exec;

import java.util.HashMap;
import java.util.Map;
import org.jsoup.Jsoup;
import org.jsoup.safety.Safelist;

/**
 * Cleans {@code text/html} of rich values (a DataFrame's table) before it reaches a page: tables
 * and basic text formatting survive, scripts, styles, event handlers and links to other places do
 * not.
 */
public final class HtmlSanitizer {
    private static final Safelist SAFELIST =
            Safelist.relaxed()
                    .removeTags("img", "a")
                    .addAttributes(":all", "class")
                    .addAttributes("th", "colspan", "rowspan", "scope")
                    .addAttributes("td", "colspan", "rowspan");

    private HtmlSanitizer() {}

    public static String clean(String html) {
        return Jsoup.clean(html, SAFELIST);
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
