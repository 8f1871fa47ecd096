package dev.livepost.chat;

import java.util.List;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.jsoup.Jsoup;
import org.jsoup.safety.Safelist;

/**
 * Claude's Markdown as HTML a page can show: raw HTML in it is escaped (Claude's words are not
 * trusted: a reader can ask it to write anything), link targets are limited to safe schemes, and
 * the result is cleaned once more against a list of harmless tags (no images: they would load from
 * anywhere). The browser sanitizes it again. Thread-safe.
 */
public final class ChatMarkdown {
    private static final List<org.commonmark.Extension> EXTENSIONS =
            List.of(TablesExtension.create());
    private static final Parser PARSER = Parser.builder().extensions(EXTENSIONS).build();
    private static final HtmlRenderer RENDERER =
            HtmlRenderer.builder()
                    .extensions(EXTENSIONS)
                    .escapeHtml(true)
                    .sanitizeUrls(true)
                    .build();
    private static final Safelist SAFE =
            Safelist.relaxed()
                    .removeTags("img")
                    .addAttributes("code", "class")
                    .addProtocols("a", "href", "http", "https", "mailto")
                    .addEnforcedAttribute("a", "rel", "nofollow noopener noreferrer");

    private ChatMarkdown() {}

    public static String html(String markdown) {
        String html = RENDERER.render(PARSER.parse(markdown));
        return Jsoup.clean(html, SAFE);
    }
}
